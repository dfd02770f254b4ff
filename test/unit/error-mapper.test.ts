import { describe, expect, it } from "vitest";
import * as errors from "../../shared/domain/errors";
import { DomainError } from "../../shared/domain/errors";
import { HTTP_STATUS_BY_CODE, errorMapper } from "../../shared/http/error-mapper";
import { createLogger } from "../../shared/logger";

type AnyErrorClass = new (...args: unknown[]) => DomainError;

/** Every concrete domain error, built with arrays for arguments: each constructor only formats them into its message. */
const everyDomainError = (Object.values(errors) as unknown[])
  .filter((value): value is AnyErrorClass => typeof value === "function" && value.prototype instanceof DomainError)
  .map((ErrorClass) => new ErrorClass([], [], [], [], []));

async function answerTo(error: unknown) {
  const request = { event: { requestContext: { requestId: "req-1" } }, error, response: undefined as unknown };
  await errorMapper(createLogger({ logLevel: "SILENT" })).onError?.(request as never);
  return request.response as { statusCode: number; body: string };
}

describe("the error code → HTTP status table", () => {
  it("has a 4xx status for the code of every domain error class but the function's time running out, a 503", () => {
    expect(everyDomainError.length).toBeGreaterThan(20);
    for (const error of everyDomainError) {
      const status = (HTTP_STATUS_BY_CODE as Record<string, number>)[error.code];
      expect(HTTP_STATUS_BY_CODE, error.name).toHaveProperty(error.code, expect.any(Number));
      if (error.code === "RequestTimedOut") expect(status).toBe(503);
      else expect(status, error.name).toSatisfy((code: number) => code >= 400 && code < 500);
    }
  });

  it("names no code that no domain error class has", () => {
    const codes = new Set(everyDomainError.map((error) => error.code));

    expect(Object.keys(HTTP_STATUS_BY_CODE).filter((code) => !codes.has(code))).toEqual([]);
  });

  it("answers a domain error with the table's status, its code, message and details", async () => {
    const response = await answerTo(new errors.StageConflictError("fraud_detector", 1, 2));

    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: "StageConflict",
        message: expect.stringContaining("fraud_detector"),
        details: { stage: "Production", expected: 1, actual: 2 },
        requestId: "req-1",
      },
    });
  });

  it("answers an error with a code outside the table, or any other error, with a bare 500", async () => {
    class UnmappedError extends DomainError {
      readonly code = "Unmapped";
      readonly status = 418;
    }

    for (const error of [new UnmappedError("secret detail"), new Error("secret detail")]) {
      const response = await answerTo(error);

      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body).error.code).toBe("InternalError");
      expect(response.body).not.toContain("secret detail");
    }
  });
});

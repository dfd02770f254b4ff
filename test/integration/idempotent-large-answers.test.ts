import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_PART_URLS_PER_REQUEST } from "../../shared/schemas/artifact";
import { MiB } from "../../shared/domain/artifacts";
import { MAX_PATH_BYTES } from "../../shared/domain/file-paths";
import { apiBudgetContext, apiEvent, metricsNearTheLimit } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";

const registry = useTestRegistry();
let catalog: ApiHandler;

beforeAll(async () => {
  // A Lambda function signs with its role's session credentials: every presigned URL carries the token (about 1,100 characters).
  vi.stubEnv("AWS_SESSION_TOKEN", randomBytes(825).toString("base64"));
  ({ catalog } = await loadHandlers(registry, "catalog"));
});
afterAll(() => void vi.unstubAllEnvs());

const digest = (i: number) => i.toString(16).padStart(64, "0");
/** A path of exactly MAX_PATH_BYTES: four directories of 250 characters, then the file. */
const longestPath = (i: number) => {
  const directories = ["a", "b", "c", "d"].map((letter) => letter.repeat(250)).join("/");
  return `${directories}/${String(i).padStart(MAX_PATH_BYTES - directories.length - 1, "0")}`;
};

/** The largest answer a registration gives: metadata at its limit, a multipart file with every part URL allowed, then the most files' uploads. */
function largestRegistration() {
  const parts = Array.from({ length: MAX_PART_URLS_PER_REQUEST }, (_, i) => ({ partNumber: i + 1, sha256: digest(1_000 + i) }));
  const multipart = { path: "weights.bin", sizeBytes: parts.length * 5 * MiB, sha256: digest(1), partSizeBytes: 5 * MiB, parts };
  const small = Array.from({ length: 64 }, (_, i) => ({ path: longestPath(i), sizeBytes: 10, sha256: digest(2 + i) }));
  return { files: [multipart, ...small], metrics: metricsNearTheLimit() };
}

describe("an Idempotency-Key on the largest registration allowed", () => {
  it("stores its answer, so a retry is replayed instead of refused as still in progress", async () => {
    const name = uniqueModelName("fraud_detector");
    const register = apiEvent({
      routeKey: "POST /models/{name}/versions",
      pathParameters: { name },
      body: largestRegistration(),
      headers: { "idempotency-key": randomUUID() },
    });

    const first = await catalog(register, apiBudgetContext);
    const retry = await catalog(register, apiBudgetContext);

    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers?.["idempotent-replayed"]).toBe("true");
    expect(retry.body).toBe(first.body);
  });
});

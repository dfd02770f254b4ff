import { describe, expect, it } from "vitest";
import { createRegistryClient, type Fetch } from "../../client/sdk";
import { RegistryApiError, RegistryUnavailableError } from "../../client/errors";
import { backoffMs, DEFAULT_RETRY_POLICY } from "../../client/retry";

/** A registry that answers from a script, recording each request; sleeps are recorded, never waited. */
function scriptedRegistry(answers: (Response | Error)[]) {
  const requests: { method: string; url: string; idempotencyKey: string | null }[] = [];
  const sleeps: number[] = [];
  const fetch: Fetch = async (input, init) => {
    requests.push({ method: init?.method ?? "GET", url: String(input), idempotencyKey: new Headers(init?.headers).get("idempotency-key") });
    const answer = answers.shift() ?? new Response("{}", { status: 200 });
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const client = createRegistryClient({
    url: "http://registry.test",
    auth: { type: "none" },
    fetch,
    retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  });
  return { client, requests, sleeps };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "apigw-requestid": "req-1" } });
const apiError = (status: number, code: string) => json(status, { error: { code, message: `${code} happened`, requestId: "req-2" } });
const networkError = () => new TypeError("fetch failed", { cause: new Error("ECONNRESET") });
const version = { model: "fraud_detector", version: 7 };

describe("retries", () => {
  it("retries a GET after a network error, 429 and 503, then answers", async () => {
    const { client, requests, sleeps } = scriptedRegistry([
      networkError(),
      apiError(429, "TooManyRequests"),
      apiError(503, "ServiceUnavailable"),
      json(200, version),
    ]);

    const answer = await client.getVersion({ name: "fraud_detector", v: 7 });

    expect(answer).toEqual(version);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(Array(4).fill("GET http://registry.test/models/fraud_detector/versions/7"));
    expect(requests.every((r) => r.idempotencyKey === null)).toBe(true);
    // Full jitter with random() = 0.5: half of 250, 500, 1000 ms.
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it("retries a registration with the same Idempotency-Key each time, so the registry applies it once", async () => {
    const { client, requests } = scriptedRegistry([
      apiError(503, "ServiceUnavailable"),
      networkError(),
      apiError(409, "IdempotencyKeyInProgress"),
      json(201, version),
    ]);

    await client.registerVersion({ name: "fraud_detector", body: { source: "s3://bucket/model.tar.gz" } });

    expect(requests).toHaveLength(4);
    const keys = new Set(requests.map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives each logical write its own key, or the caller's", async () => {
    const { client, requests } = scriptedRegistry([json(201, version), json(201, version), json(201, version)]);

    await client.registerVersion({ name: "fraud_detector", body: { source: "s3://a" } });
    await client.registerVersion({ name: "fraud_detector", body: { source: "s3://b" } });
    await client.registerVersion({ name: "fraud_detector", body: { source: "s3://c" } }, { idempotencyKey: "run-45" });

    expect(requests[0]?.idempotencyKey).not.toBe(requests[1]?.idempotencyKey);
    expect(requests[2]?.idempotencyKey).toBe("run-45");
  });

  it.each([
    [400, "ValidationError"],
    [403, "Forbidden"],
    [404, "VersionNotFound"],
    [409, "StageConflict"],
    [422, "PolicyViolation"],
    // The function's time ran out: the same request would run as long again, and part of it may be done.
    [503, "RequestTimedOut"],
  ])("does not retry %i %s, and surfaces it typed", async (status, code) => {
    const { client, requests } = scriptedRegistry([apiError(status, code)]);

    const failure = await client
      .transitionVersion({ name: "fraud_detector", v: 7, body: { to: "Production", reason: "canary ok" } })
      .catch((e: unknown) => e);

    expect(requests).toHaveLength(1);
    expect(failure).toBeInstanceOf(RegistryApiError);
    expect(failure).toMatchObject({ status, code, message: `${code} happened`, requestId: "req-2" });
  });

  it("gives up after the policy's attempts: the last 5xx as it came, a network failure as RegistryUnavailableError", async () => {
    const down = scriptedRegistry(Array.from({ length: DEFAULT_RETRY_POLICY.attempts }, networkError));
    await expect(down.client.listModels()).rejects.toThrow(RegistryUnavailableError);
    expect(down.requests).toHaveLength(DEFAULT_RETRY_POLICY.attempts);

    const failing = scriptedRegistry(Array.from({ length: DEFAULT_RETRY_POLICY.attempts }, () => apiError(502, "BadGateway")));
    await expect(failing.client.listModels()).rejects.toMatchObject({ status: 502, code: "BadGateway" });
  });

  it("reads API Gateway's own { message } errors too", async () => {
    const { client } = scriptedRegistry([json(403, { message: "Forbidden" })]);
    await expect(client.health()).rejects.toMatchObject({ status: 403, code: "Forbidden", requestId: "req-1" });
  });

  it("caps the backoff at maxDelayMs", () => {
    expect(backoffMs({ ...DEFAULT_RETRY_POLICY, random: () => 0.999 }, 20)).toBe(Math.floor(0.999 * DEFAULT_RETRY_POLICY.maxDelayMs));
  });
});

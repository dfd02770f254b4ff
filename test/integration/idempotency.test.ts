import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../shared/http/openapi";
import { isWriteRoute, routes } from "../../shared/routes";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { useTestRegistry, loadHandlers, uniqueModelName, type ApiHandler } from "../support/registry";

const registry = useTestRegistry();
let catalog: ApiHandler;
let query: ApiHandler;
beforeAll(async () => {
  ({ catalog, query } = await loadHandlers(registry, "catalog", "query"));
});

const ci = "arn:aws:iam::123456789012:role/ci-runner";
const register = (name: string, body: unknown, key: string, actor = ci) =>
  catalog(
    apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name }, body, actor, headers: { "idempotency-key": key } }),
    lambdaContext,
  );
const parsed = (response: { body?: string }) => JSON.parse(response.body ?? "null");
const itemsOf = async (name: string) => (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
const idempotencyRecords = async () => (await registry.items()).filter((item) => item.pk === "IDEMPOTENCY");

describe("Idempotency-Key on write routes", () => {
  it("replays the first answer to a retry with the same key and body, and writes once", async () => {
    const name = uniqueModelName("fraud_detector");
    const key = randomUUID();
    const body = { source: "s3://training/run-1/model.tar.gz", metrics: { auc: 0.93 }, params: { depth: 6, lr: 0.1 } };
    const recordsBefore = (await idempotencyRecords()).length;

    const first = await register(name, body, key);
    // The same JSON with its keys in another order is the same body.
    const retry = await register(name, { params: { lr: 0.1, depth: 6 }, metrics: { auc: 0.93 }, source: body.source }, key);

    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers).toEqual({ ...first.headers, "idempotent-replayed": "true" });
    expect(first.headers?.["idempotent-replayed"]).toBeUndefined();
    const items = await itemsOf(name);
    expect(items.filter((item) => item.entity === "version")).toHaveLength(1);
    expect(items.filter((item) => item.entity === "history").map((h) => h.action)).toEqual(["MODEL_CREATED", "VERSION_REGISTERED"]);
    const records = await idempotencyRecords();
    expect(records).toHaveLength(recordsBefore + 1);
    expect(records.find((r) => r.status === "COMPLETED" && JSON.parse((r.response as { body: string }).body).model === name)).toMatchObject(
      {
        sk: expect.stringMatching(/^catalog#/),
        expiresAt: expect.any(Number),
        payloadHash: expect.any(String),
      },
    );
  });

  it("answers 409 IdempotencyKeyReused to the same key with another body, and writes nothing", async () => {
    const name = uniqueModelName("fraud_detector");
    const key = randomUUID();
    await register(name, { source: "s3://a" }, key);

    const reused = await register(name, { source: "s3://b" }, key);

    expect(reused.statusCode).toBe(409);
    expect(parsed(reused).error).toMatchObject({ code: "IdempotencyKeyReused", message: expect.stringContaining("different body") });
    expect((await itemsOf(name)).filter((item) => item.entity === "version")).toHaveLength(1);
  });

  it("runs concurrent requests with one key once: the others get the answer or 409 IdempotencyKeyInProgress", async () => {
    const name = uniqueModelName("fraud_detector");
    const key = randomUUID();

    const answers = await Promise.all(Array.from({ length: 8 }, () => register(name, { source: "s3://same" }, key)));

    const created = answers.filter((a) => a.statusCode === 201);
    const busy = answers.filter((a) => a.statusCode === 409);
    expect(created.length + busy.length).toBe(8);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body)).size).toBe(1);
    for (const answer of busy) expect(parsed(answer).error.code).toBe("IdempotencyKeyInProgress");
    expect((await itemsOf(name)).filter((item) => item.entity === "version")).toHaveLength(1);
  });

  it("treats the same key from another caller, or on another path, as another request", async () => {
    const name = uniqueModelName("fraud_detector");
    const key = randomUUID();

    await register(name, { source: "s3://a" }, key);
    const otherCaller = await register(name, { source: "s3://a" }, key, "arn:aws:iam::123456789012:role/other-runner");
    const otherPath = await register(uniqueModelName("churn_predictor"), { source: "s3://a" }, key);

    expect(otherCaller.statusCode).toBe(201);
    expect(parsed(otherCaller).version).toBe(2);
    expect(otherPath.headers?.["idempotent-replayed"]).toBeUndefined();
  });

  it("does not keep an error answer: a retry after the cause is fixed runs again", async () => {
    const name = uniqueModelName("fraud_detector");
    const key = randomUUID();
    const patch = () =>
      catalog(
        apiEvent({
          routeKey: "PATCH /models/{name}",
          pathParameters: { name },
          body: { description: "Card fraud" },
          actor: ci,
          headers: { "idempotency-key": key },
        }),
        lambdaContext,
      );

    const missing = await patch();
    await catalog(apiEvent({ routeKey: "POST /models", body: { name }, actor: ci }), lambdaContext);
    const retried = await patch();

    expect(missing.statusCode).toBe(404);
    expect(retried.statusCode).toBe(200);
    expect(parsed(retried).description).toBe("Card fraud");
  });

  it("answers 400 to a key longer than 255 characters, and ignores the header on reads", async () => {
    const tooLong = await register(uniqueModelName(), { source: "s3://a" }, "k".repeat(256));
    const recordsBefore = (await idempotencyRecords()).length;
    const read = await query(apiEvent({ routeKey: "GET /health", headers: { "idempotency-key": randomUUID() } }), lambdaContext);

    expect(tooLong.statusCode).toBe(400);
    expect(parsed(tooLong).error.details).toEqual([{ path: "headers.idempotency-key", message: "1 to 255 characters" }]);
    expect(read.statusCode).toBe(200);
    expect(await idempotencyRecords()).toHaveLength(recordsBefore);
  });

  it("is documented in the OpenAPI document on every write route and no read route", () => {
    const document = openApiDocument();

    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()] as { parameters: { name: string; in: string }[] };
      expect(
        operation.parameters.some((p) => p.name === "Idempotency-Key" && p.in === "header"),
        `${route.method} ${route.path}`,
      ).toBe(isWriteRoute(route));
    }
  });
});

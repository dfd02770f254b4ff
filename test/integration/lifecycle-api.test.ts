import { beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { useTestRegistry, loadHandlers, type ApiHandler } from "../support/registry";

const ADMIN = "arn:aws:iam::123456789012:role/release-admin";
const BOT = "arn:aws:iam::123456789012:role/release-bot";

const registry = useTestRegistry({
  roleBindings: [
    { pattern: "*", roles: ["reader", "publisher", "promoter"] },
    { pattern: "*release-admin", roles: ["reader", "publisher", "promoter", "admin"] },
  ],
});
let catalog: ApiHandler;
let lifecycle: ApiHandler;
let query: ApiHandler;

beforeAll(async () => {
  ({ catalog, lifecycle, query } = await loadHandlers(registry, "catalog", "lifecycle", "query"));
  for (const auc of [0.91, 0.96]) {
    const registered = await catalog(
      apiEvent({
        routeKey: "POST /models/{name}/versions",
        pathParameters: { name: "fraud_detector" },
        body: { source: "s3://m", metrics: { auc } },
      }),
      lambdaContext,
    );
    expect(registered.statusCode).toBe(201);
  }
});

const body = (response: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(response.body ?? "{}") as Record<string, unknown> & { error: { code: string; message: string; details?: unknown } };
const transition = (v: string, payload: unknown, actor = BOT) =>
  lifecycle(
    apiEvent({
      routeKey: "POST /models/{name}/versions/{v}/transitions",
      pathParameters: { name: "fraud_detector", v },
      body: payload,
      actor,
    }),
    lambdaContext,
  );
const get = (routeKey: string, pathParameters: Record<string, string>, queryStringParameters?: Record<string, string>) =>
  query(apiEvent({ routeKey, pathParameters, queryStringParameters }), lambdaContext);

describe("the lifecycle API", () => {
  it("promotes through Staging to Production and serves it from the stage, the {v} selector and a model URI", async () => {
    expect(body(await transition("1", { to: "Staging", reason: "offline eval" }))).toEqual({
      version: 1,
      from: "None",
      to: "Staging",
      archived: [],
    });
    const promoted = await transition("1", { to: "Production", reason: "canary ok", expectedCurrentVersion: null });
    expect(promoted.statusCode).toBe(200);

    const byStage = body(await get("GET /models/{name}/stages/{stage}", { name: "fraud_detector", stage: "Production" }));
    const bySelector = body(await get("GET /models/{name}/versions/{v}", { name: "fraud_detector", v: "Production" }));
    const byUri = body(await get("GET /resolve", {}, { uri: "models:/fraud_detector/Production" }));
    expect(byStage).toMatchObject({ version: 1, stage: "Production" });
    expect(bySelector).toEqual(byStage);
    expect(byUri).toEqual({ ...byStage, resolvedFrom: "models:/fraud_detector/Production" });
    expect(body(await get("GET /models/{name}", { name: "fraud_detector" }))).toMatchObject({ stages: { Production: 1 } });
  });

  it("answers a stale promotion with 409 StageConflict in the error shape, details naming the occupant", async () => {
    await transition("2", { to: "Staging", reason: "offline eval" });

    const response = await transition("2", { to: "Production", reason: "stale", expectedCurrentVersion: null });

    expect(response.statusCode).toBe(409);
    expect(body(response).error).toMatchObject({ code: "StageConflict", details: { stage: "Production", expected: null, actual: 1 } });
  });

  it("needs admin for a promotion policy and for archiving, and answers 422 with every failed rule", async () => {
    const policy = { Production: { minMetrics: { auc: 0.99 }, requiredTags: ["reviewed"] } };
    expect(
      (
        await lifecycle(
          apiEvent({ routeKey: "PUT /models/{name}/policy", pathParameters: { name: "fraud_detector" }, body: policy, actor: BOT }),
          lambdaContext,
        )
      ).statusCode,
    ).toBe(403);
    const put = await lifecycle(
      apiEvent({ routeKey: "PUT /models/{name}/policy", pathParameters: { name: "fraud_detector" }, body: policy, actor: ADMIN }),
      lambdaContext,
    );
    expect(body(put)).toMatchObject({
      model: "fraud_detector",
      revision: 1,
      Production: { minMetrics: { auc: 0.99 }, requiredTags: ["reviewed"] },
    });
    expect(body(await get("GET /models/{name}/policy", { name: "fraud_detector" }))).toEqual(body(put));

    const refused = await transition("2", { to: "Production", reason: "try", expectedCurrentVersion: 1 });
    expect(refused.statusCode).toBe(422);
    expect(body(refused).error).toMatchObject({
      code: "PolicyViolation",
      details: [{ rule: "minMetrics.auc" }, { rule: "requiredTags.reviewed" }],
    });

    const archive = await transition("2", { to: "Archived", reason: "superseded" });
    expect(archive.statusCode).toBe(403);
    expect(body(archive).error).toMatchObject({ code: "Forbidden", details: { missingRole: "admin" } });
  });

  it("sets, reads and removes an alias; refuses 'latest' and a stale expectedVersion", async () => {
    const put = (alias: string, payload: unknown) =>
      lifecycle(
        apiEvent({ routeKey: "PUT /models/{name}/aliases/{alias}", pathParameters: { name: "fraud_detector", alias }, body: payload }),
        lambdaContext,
      );

    expect(body(await put("champion", { version: 1 }))).toEqual({
      model: "fraud_detector",
      alias: "champion",
      version: 1,
      previousVersion: null,
    });
    expect(body(await get("GET /models/{name}/versions/{v}", { name: "fraud_detector", v: "champion" }))).toMatchObject({ version: 1 });
    expect(body(await get("GET /resolve", {}, { uri: "models:/fraud_detector@champion" }))).toMatchObject({
      version: 1,
      uri: "models:/fraud_detector/1",
    });
    const stale = await put("champion", { version: 2, expectedVersion: 2 });
    expect(stale.statusCode).toBe(409);
    expect(body(stale).error).toMatchObject({ code: "AliasConflict", details: { actual: 1 } });
    const latest = await put("latest", { version: 2 });
    expect(latest.statusCode).toBe(400);
    expect(body(latest).error.message).toContain("implicit");

    const removed = await lifecycle(
      apiEvent({ routeKey: "DELETE /models/{name}/aliases/{alias}", pathParameters: { name: "fraud_detector", alias: "champion" } }),
      lambdaContext,
    );
    expect(body(removed)).toEqual({ model: "fraud_detector", alias: "champion", version: null, previousVersion: 1 });
    expect(body(await get("GET /models/{name}/versions/{v}", { name: "fraud_detector", v: "champion" })).error.code).toBe("AliasNotFound");
  });

  it("refuses a rollback of any stage but Production with 400, and one with nothing before it with 409", async () => {
    const rollback = (stage: string) =>
      lifecycle(
        apiEvent({
          routeKey: "POST /models/{name}/stages/{stage}/rollback",
          pathParameters: { name: "fraud_detector", stage },
          body: { reason: "x" },
        }),
        lambdaContext,
      );

    const staging = await rollback("Staging");
    expect(staging.statusCode).toBe(400);
    expect(body(staging).error.message).toContain("only Production has a rollback");
    const production = await rollback("Production");
    expect(production.statusCode).toBe(409);
    expect(body(production).error.code).toBe("NothingToRollBack");
  });

  it("answers a URI that is no model URI with 400 listing the forms, and an empty stage with 404 StageEmpty", async () => {
    const bad = await get("GET /resolve", {}, { uri: "s3://bucket/model.tar.gz" });
    expect(bad.statusCode).toBe(400);
    expect(body(bad).error.message).toContain("models:/<name>@<alias>");
    const empty = await get("GET /models/{name}/stages/{stage}", { name: "fraud_detector", stage: "Archived" });
    expect(empty.statusCode).toBe(404);
    expect(body(empty).error.code).toBe("StageEmpty");
  });

  it("lists a stage across models", async () => {
    const page = body(await get("GET /stages/{stage}/versions", { stage: "Staging" }, { limit: "10" }));
    expect(page).toMatchObject({ items: [{ model: "fraud_detector", version: 2, stage: "Staging" }] });
    expect(page.items).toHaveLength(1);
  });
});

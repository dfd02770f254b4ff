import { beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { useTestRegistry, loadHandlers, type ApiHandler } from "../support/registry";

/** Stage names are spelled in any case in every path, query and body, as in a model URI; anything else names the right spellings. */
const registry = useTestRegistry({ roleBindings: [{ pattern: "*", roles: ["reader", "publisher", "promoter", "admin"] }] });
const NAME = "fraud_detector";
let catalog: ApiHandler;
let lifecycle: ApiHandler;
let query: ApiHandler;

const body = (response: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(response.body ?? "{}") as Record<string, unknown> & { error: { code: string; message: string; details?: unknown } };
const call = async (handler: ApiHandler, options: Parameters<typeof apiEvent>[0]) => {
  const response = await handler(apiEvent(options), lambdaContext);
  return { status: response.statusCode, body: body(response) };
};
const transition = (v: string, payload: unknown) =>
  call(lifecycle, { routeKey: "POST /models/{name}/versions/{v}/transitions", pathParameters: { name: NAME, v }, body: payload });

beforeAll(async () => {
  ({ catalog, lifecycle, query } = await loadHandlers(registry, "catalog", "lifecycle", "query"));
  for (const run of [1, 2]) {
    const registered = await call(catalog, {
      routeKey: "POST /models/{name}/versions",
      pathParameters: { name: NAME },
      body: { source: `s3://training/run-${run}/model.tar.gz` },
    });
    expect(registered.status).toBe(201);
  }
});

describe("stage names in any case", () => {
  it("moves, finds, lists, resolves and rolls back with lowercase stage names, answering the proper spelling", async () => {
    expect((await transition("1", { to: "staging", reason: "offline eval" })).body).toEqual({
      version: 1,
      from: "None",
      to: "Staging",
      archived: [],
    });
    expect((await transition("1", { to: "PRODUCTION", reason: "canary ok" })).body).toMatchObject({ to: "Production" });
    await transition("2", { to: "Staging", reason: "offline eval" });
    expect((await transition("2", { to: "production", reason: "better" })).body).toMatchObject({ to: "Production", archived: [1] });

    const inProduction = { version: 2, stage: "Production" };
    const byStage = await call(query, {
      routeKey: "GET /models/{name}/stages/{stage}",
      pathParameters: { name: NAME, stage: "production" },
    });
    expect(byStage.body).toMatchObject(inProduction);
    const bySelector = await call(query, { routeKey: "GET /models/{name}/versions/{v}", pathParameters: { name: NAME, v: "production" } });
    expect(bySelector.body).toEqual(byStage.body);
    const byUri = await call(query, { routeKey: "GET /resolve", queryStringParameters: { uri: `models:/${NAME}/production` } });
    expect(byUri.body).toMatchObject(inProduction);
    const listed = await call(query, {
      routeKey: "GET /models/{name}/versions",
      pathParameters: { name: NAME },
      queryStringParameters: { stage: "archived" },
    });
    expect(listed.body.items).toEqual([expect.objectContaining({ version: 1, stage: "Archived" })]);
    const everyModel = await call(query, {
      routeKey: "GET /stages/{stage}/versions",
      pathParameters: { stage: "Production".toLowerCase() },
    });
    expect(everyModel.body.items).toEqual([expect.objectContaining({ model: NAME, version: 2 })]);
    const history = await call(query, {
      routeKey: "GET /models/{name}/history",
      pathParameters: { name: NAME },
      queryStringParameters: { version: "archived" },
    });
    expect(history.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ version: 1, toStage: "Archived" })]));

    const rolledBack = await call(lifecycle, {
      routeKey: "POST /models/{name}/stages/{stage}/rollback",
      pathParameters: { name: NAME, stage: "production" },
      body: { reason: "v2 raises false positives" },
    });
    expect(rolledBack.body).toEqual({ version: 1, from: "Archived", to: "Production", archived: [2] });
  });

  it("keys a policy's gates and requireFrom by stage names in any case, stored with the proper spelling", async () => {
    const put = await call(lifecycle, {
      routeKey: "PUT /models/{name}/policy",
      pathParameters: { name: NAME },
      body: { production: { requireFrom: "staging", minMetrics: { auc: 0.9 } }, STAGING: { requiredTags: ["owner"] } },
    });

    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      Production: { requireFrom: ["Staging"], minMetrics: { auc: 0.9 } },
      Staging: { requiredTags: ["owner"] },
    });
    expect(put.body).not.toHaveProperty("production");
  });
});

describe("stage names that are no stage", () => {
  const refusals: { what: string; handler: () => ApiHandler; event: Parameters<typeof apiEvent>[0]; says: string }[] = [
    {
      what: "a transition to Prod",
      handler: () => lifecycle,
      event: {
        routeKey: "POST /models/{name}/versions/{v}/transitions",
        pathParameters: { name: NAME, v: "1" },
        body: { to: "Prod", reason: "x" },
      },
      says: "'Prod' is not a stage: use None, Staging, Production, Archived (any case); did you mean Production?",
    },
    {
      what: "a stage filter of stagin",
      handler: () => query,
      event: { routeKey: "GET /models/{name}/versions", pathParameters: { name: NAME }, queryStringParameters: { stage: "stagin" } },
      says: "did you mean Staging?",
    },
    {
      what: "a stage path of prod",
      handler: () => query,
      event: { routeKey: "GET /models/{name}/stages/{stage}", pathParameters: { name: NAME, stage: "prod" } },
      says: "use Staging, Production, Archived (any case); did you mean Production?",
    },
    {
      what: "a listing of stage live",
      handler: () => query,
      event: { routeKey: "GET /stages/{stage}/versions", pathParameters: { stage: "live" } },
      says: "'live' is not a stage",
    },
    {
      what: "a policy gate for Prod",
      handler: () => lifecycle,
      event: { routeKey: "PUT /models/{name}/policy", pathParameters: { name: NAME }, body: { Prod: { minMetrics: { auc: 0.9 } } } },
      says: "'Prod' is not a stage: use Staging, Production (any case); did you mean Production?",
    },
    {
      what: "a policy with Production twice",
      handler: () => lifecycle,
      event: { routeKey: "PUT /models/{name}/policy", pathParameters: { name: NAME }, body: { Production: {}, production: {} } },
      says: "the Production gate is given twice",
    },
    {
      what: "an alias named like a stage",
      handler: () => lifecycle,
      event: { routeKey: "PUT /models/{name}/aliases/{alias}", pathParameters: { name: NAME, alias: "staging" }, body: { version: 1 } },
      says: "a stage name cannot be an alias",
    },
    {
      what: "a transition without a reason",
      handler: () => lifecycle,
      event: { routeKey: "POST /models/{name}/versions/{v}/transitions", pathParameters: { name: NAME, v: "1" }, body: { to: "Archived" } },
      says: "reason is required: say why in a few words; it is kept in the history and sent with the event",
    },
    {
      what: "a transition whose reason is only blanks",
      handler: () => lifecycle,
      event: {
        routeKey: "POST /models/{name}/versions/{v}/transitions",
        pathParameters: { name: NAME, v: "1" },
        body: { to: "Archived", reason: " \t\n " },
      },
      says: "reason is required",
    },
    {
      what: "a rollback with an empty reason",
      handler: () => lifecycle,
      event: {
        routeKey: "POST /models/{name}/stages/{stage}/rollback",
        pathParameters: { name: NAME, stage: "Production" },
        body: { reason: "" },
      },
      says: "reason is required",
    },
  ];

  it.each(refusals)("refuses $what with 400 saying what is right, and changes nothing", async ({ handler, event, says }) => {
    const before = await registry.state();

    const refused = await call(handler(), event);

    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(says);
    expect(await registry.state()).toEqual(before);
  });
});

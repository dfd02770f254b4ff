import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext, roleCaller } from "../support/fixtures";
import { loadHandlers, useTestRegistry, type ApiHandler } from "../support/registry";
import { registerVersion } from "../../shared/use-cases/register-version";
import { registerVersionBody } from "../../shared/schemas/version";
import type { FunctionName } from "../../shared/routes";

/**
 * Bad input to the MLflow-compatible API: a 400 INVALID_PARAMETER_VALUE that names the field, and
 * nothing written (the whole table is the same before and after).
 */

const registry = useTestRegistry();
let handlers: Record<"catalog" | "lifecycle" | "query", ApiHandler>;
const NAME = "fraud_detector";

beforeAll(async () => {
  handlers = await loadHandlers(registry, "catalog", "lifecycle", "query");
  await registerVersion(
    registry.deps,
    NAME,
    registerVersionBody.parse({ source: "runs:/abc123/model", lineage: { runId: "abc123" } }),
    roleCaller("training", "req-1"),
  );
});

const ROUTE_FUNCTION: Record<string, Exclude<FunctionName, "artifacts" | "downloads">> = {
  "registered-models/create": "catalog",
  "registered-models/get-latest-versions": "catalog",
  "model-versions/create": "catalog",
  "model-versions/set-tag": "catalog",
  "registered-models/set-tag": "catalog",
  "model-versions/transition-stage": "lifecycle",
  "registered-models/alias": "lifecycle",
  "model-versions/get": "query",
  "model-versions/search": "query",
  "registered-models/get": "query",
  "registered-models/search": "query",
  "registered-models/update": "catalog",
  "model-versions/update": "catalog",
};

const long = (n: number) => "x".repeat(n);
const manyTags = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" }));
/** As many tag clauses as a filter's 4,096 characters hold: more than DynamoDB's filter expression can (4 KB). */
const tagClausesFillingAFilter = () => {
  let filter = `name = '${NAME}'`;
  for (let i = 0; filter.length < 4_000; i++) filter += ` AND tags.t${i} = 'v'`;
  return filter;
};

/** [endpoint, method, message or raw body, a word the message must hold] */
const CASES: [string, "GET" | "POST" | "PATCH", Record<string, unknown> | string, string][] = [
  ["registered-models/create", "POST", {}, "'name'"],
  ["registered-models/create", "POST", { name: 42 }, "'name'"],
  ["registered-models/create", "POST", { name: null }, "Missing value for required parameter 'name'"],
  ["registered-models/create", "POST", { name: "Fraud Detector" }, "name"],
  ["registered-models/create", "POST", { name: "fraud_scorer", tags: manyTags }, "at most 50 tags"],
  ["registered-models/create", "POST", { name: "fraud_scorer", tags: [{ key: "__proto__", value: "x" }] }, "__proto__"],
  ["registered-models/create", "POST", "{not json", "JSON"],
  ["model-versions/create", "POST", { source: "runs:/abc/model" }, "'name'"],
  ["model-versions/create", "POST", { name: NAME }, "'source'"],
  ["model-versions/create", "POST", { name: NAME, source: "runs:/abc/model", run_id: long(300) }, "runId"],
  ["model-versions/create", "POST", { name: NAME, source: "runs:/abc/model", tags: [{ key: "team", value: long(300) }] }, "256"],
  [
    "model-versions/create",
    "POST",
    { name: NAME, source: "runs:/abc/model", tags: [{ key: "registry.semver", value: "1.0.0" }] },
    "read-only",
  ],
  ["model-versions/set-tag", "POST", { name: NAME, version: "1", value: "v" }, "'key'"],
  ["model-versions/set-tag", "POST", { name: NAME, version: "1", key: "team" }, "'value'"],
  ["model-versions/set-tag", "POST", { name: NAME, version: "1", key: long(200), value: "v" }, "128"],
  ["registered-models/set-tag", "POST", { name: NAME, key: "team", value: long(300) }, "256"],
  ["model-versions/transition-stage", "POST", { name: NAME, stage: "Staging", archive_existing_versions: false }, "'version'"],
  ["model-versions/transition-stage", "POST", { name: NAME, version: "1", archive_existing_versions: false }, "'stage'"],
  ["model-versions/transition-stage", "POST", { name: NAME, version: "1", stage: "Staging" }, "'archive_existing_versions'"],
  ["model-versions/transition-stage", "POST", { version: "1", stage: "Staging", archive_existing_versions: false }, "'name'"],
  ["model-versions/transition-stage", "POST", { name: NAME, version: "one", stage: "Staging", archive_existing_versions: false }, "'one'"],
  [
    "model-versions/transition-stage",
    "POST",
    { name: NAME, version: "1.5", stage: "Staging", archive_existing_versions: false },
    "'version'",
  ],
  [
    "model-versions/transition-stage",
    "POST",
    { name: NAME, version: "0", stage: "Staging", archive_existing_versions: false },
    "'version'",
  ],
  ["model-versions/transition-stage", "POST", { name: NAME, version: "1", stage: "Live", archive_existing_versions: false }, "'Live'"],
  [
    "model-versions/transition-stage",
    "POST",
    { name: NAME, version: "1", stage: "Staging", archive_existing_versions: "yes" },
    "'archive_existing_versions'",
  ],
  ["registered-models/alias", "POST", { name: NAME, alias: "Champion!", version: "1" }, "alias"],
  ["registered-models/alias", "POST", { name: NAME, alias: "latest", version: "1" }, "latest"],
  ["registered-models/alias", "POST", { name: NAME, alias: "v1", version: "1" }, "'v1' is reserved"],
  ["registered-models/alias", "POST", { name: NAME, alias: "champion", version: "x" }, "'version'"],
  // Sizes past DynamoDB's key limits are refused at the edge, never sent to the table (a 500).
  ["registered-models/get", "GET", { name: long(3000) }, "64 characters"],
  ["registered-models/alias", "POST", { name: NAME, alias: long(2000), version: "1" }, "alias"],
  ["registered-models/update", "PATCH", { name: NAME, description: long(5000) }, "description"],
  ["model-versions/update", "PATCH", { name: NAME, version: "1", description: long(5000) }, "description"],
  ["registered-models/search", "GET", { filter: `name LIKE '${long(5000)}%'` }, "4096"],
  ["model-versions/get", "GET", { name: NAME, version: "abc" }, "'abc'"],
  ["model-versions/get", "GET", { name: NAME }, "'version'"],
  ["model-versions/search", "GET", { filter: `name = '${NAME}' OR run_id = 'x'` }, "OR"],
  ["model-versions/search", "GET", { filter: `name = '${NAME}'`, max_results: "-1" }, "max_results"],
  ["model-versions/search", "GET", { filter: "tags.team = 'risk'" }, "add name = '<model>' or run_id = '<run>'"],
  ["model-versions/search", "GET", { filter: tagClausesFillingAFilter() }, "at most 20 tags"],
  ["model-versions/search", "GET", { filter: "run_id = 'r' AND tags.team = 'risk'" }, "add name = '<model>' to filter"],
  ["model-versions/search", "GET", { filter: `name = '${NAME}' AND tags.registry.uri = 'models:/${NAME}/1'` }, "registry.uri"],
  ["model-versions/search", "GET", { filter: "run_id = 'r'", order_by: "version_number DESC" }, "Write order_by=name ASC"],
  ["model-versions/search", "GET", { filter: "run_id = 'r'", page_token: "forged" }, "cursor"],
  ["model-versions/search", "GET", { filter: `name = '${NAME}'`, order_by: "last_updated_timestamp DESC" }, "version_number ASC"],
  ["registered-models/search", "GET", { order_by: "last_updated_timestamp DESC" }, "Write order_by=name ASC"],
];

function call(endpoint: string, method: "GET" | "POST" | "PATCH", message: Record<string, unknown> | string) {
  const fn = ROUTE_FUNCTION[endpoint] as keyof typeof handlers;
  const routeKey = `${method} /api/2.0/mlflow/${endpoint}`;
  const event =
    method === "GET"
      ? apiEvent({ routeKey, queryStringParameters: message as Record<string, string> })
      : apiEvent({ routeKey, ...(typeof message === "string" ? { rawBody: message } : { body: message }) });
  return handlers[fn](event, lambdaContext);
}

describe("bad input to the MLflow-compatible API", () => {
  it.each(CASES.map(([endpoint, method, message, named]) => [endpoint, method, named, message] as const))(
    "%s (%s) is INVALID_PARAMETER_VALUE naming %s, and writes nothing",
    async (endpoint, method, named, message) => {
      const before = await registry.state();

      const answer = await call(endpoint, method, message);

      expect(answer.statusCode, answer.body).toBe(400);
      expect(JSON.parse(answer.body ?? "{}")).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining(named) });
      expect(await registry.state()).toEqual(before);
    },
  );

  it("takes a field set to null as absent, as protobuf's JSON parsing does", async () => {
    const created = await call("registered-models/create", "POST", {
      name: "fraud_scorer",
      description: null,
      tags: [{ key: "team", value: null }],
    });
    const latest = await call("registered-models/get-latest-versions", "POST", { name: NAME, stages: null });

    expect(created.statusCode, created.body).toBe(200);
    expect(JSON.parse(created.body ?? "{}").registered_model).toMatchObject({ tags: [{ key: "team", value: "" }] });
    expect(JSON.parse(created.body ?? "{}").registered_model).not.toHaveProperty("description");
    expect(latest.statusCode, latest.body).toBe(200);
    expect(JSON.parse(latest.body ?? "{}").model_versions).toHaveLength(1);
  });

  it("answers a search for a name no model can have with nothing, without reading a key too long for the table", async () => {
    for (const [endpoint, filter] of [
      ["registered-models/search", `name = '${long(3000)}'`],
      ["model-versions/search", `name = '${long(3000)}'`],
      ["model-versions/search", `run_id = '${long(3000)}'`],
    ] as const) {
      const answer = await call(endpoint, "GET", { filter });

      expect(answer.statusCode, answer.body).toBe(200);
      expect(Object.values(JSON.parse(answer.body ?? "{}"))).toEqual([[]]);
    }
  });
  it.each([
    `name = '${NAME}' AND tags.team = 'risk' AND tags.team = 'fraud'`,
    `name = 'churn_predictor' AND name = '${NAME}'`,
    `name = '${NAME}' AND run_id = 'other' AND run_id = 'abc123'`,
    `run_id = 'other' AND run_id = 'abc123'`,
  ])("answers a version search whose equalities no version meets at once (%s) with nothing", async (filter) => {
    const answer = await call("model-versions/search", "GET", { filter });

    expect(answer.statusCode, answer.body).toBe(200);
    expect(JSON.parse(answer.body ?? "{}")).toEqual({ model_versions: [] });
  });

  it("answers a version search that repeats an equality as the search with it once", async () => {
    const once = await call("model-versions/search", "GET", { filter: `name = '${NAME}'` });
    const twice = await call("model-versions/search", "GET", { filter: `name = '${NAME}' AND name = '${NAME}'` });

    expect(JSON.parse(twice.body ?? "{}")).toEqual(JSON.parse(once.body ?? "{}"));
    expect(JSON.parse(once.body ?? "{}").model_versions).toHaveLength(1);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext, refusal } from "../support/fixtures";
import { useTestRegistry, loadHandlers, type ApiHandler } from "../support/registry";
import { encodeCursor } from "../../shared/store/pages";

const registry = useTestRegistry();
let catalog: ApiHandler;
let query: ApiHandler;
let lifecycle: ApiHandler;

beforeAll(async () => {
  ({ catalog, query, lifecycle } = await loadHandlers(registry, "catalog", "query", "lifecycle"));
  const seeded = await catalog(
    apiEvent({
      routeKey: "POST /models/{name}/versions",
      pathParameters: { name: "fraud_detector" },
      body: { source: "s3://models/fraud/1" },
    }),
    lambdaContext,
  );
  expect(seeded.statusCode).toBe(201);
});

const register = (body: unknown, name = "fraud_detector") =>
  apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name }, body });
const decoded = (response: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(response.body ?? "{}") as { error: { code: string; message: string; details?: unknown; requestId?: string } };

const rawRegister = (rawBody: string) =>
  apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name: "fraud_detector" }, rawBody });
const createModel = (body: unknown) => apiEvent({ routeKey: "POST /models", body });
const editModel = (name: string, body: unknown) => apiEvent({ routeKey: "PATCH /models/{name}", pathParameters: { name }, body });

const badWrites = [
  refusal("malformed JSON", apiEvent({ routeKey: "POST /models", rawBody: '{"name": "fraud_detector",' })),
  refusal("a missing body", apiEvent({ routeKey: "POST /models" })),
  refusal("a metric that is a string", register({ source: "s3://m", metrics: { auc: "high" } })),
  refusal("a NaN metric (not JSON)", rawRegister('{"source":"s3://m","metrics":{"auc":NaN}}')),
  refusal("an infinite metric (1e999)", rawRegister('{"source":"s3://m","metrics":{"auc":1e999}}')),
  refusal("features that are not a list", register({ source: "s3://m", features: "amount" })),
  refusal("an unknown field", register({ source: "s3://m", metric: { auc: 0.9 } })),
  refusal("both semver and bump", register({ source: "s3://m", semver: "1.0.0", bump: "minor" })),
  refusal("a parent version that does not exist", register({ source: "s3://m", lineage: { parentVersions: [7] } })),
  refusal(
    "65 KiB of metadata",
    register({
      source: "s3://m",
      description: "d",
      params: { blob: "x".repeat(4000) },
      features: Array.from({ length: 300 }, (_, i) => `${"f".repeat(220)}${i}`),
    }),
    413,
    "PayloadTooLarge",
  ),
  refusal("a name with a slash", createModel({ name: "fraud/detector" })),
  refusal("a name with ..", register({ source: "s3://m" }, "fraud..detector")),
  refusal("a versioned name under the strict naming policy", createModel({ name: "fraud_detector_v2" })),
  refusal("an existing model", createModel({ name: "fraud_detector" }), 409, "ModelAlreadyExists"),
  refusal("an edit of an unknown model", editModel("churn_predictor", { description: "x" }), 404, "ModelNotFound"),
  refusal(
    "an edit of an unknown version",
    apiEvent({
      routeKey: "PATCH /models/{name}/versions/{v}",
      pathParameters: { name: "fraud_detector", v: "9" },
      body: { tags: { a: "b" } },
    }),
    404,
    "VersionNotFound",
  ),
  refusal("an empty edit", editModel("fraud_detector", {})),
  refusal(
    "four key metrics",
    editModel("fraud_detector", { keyMetrics: ["auc", "f1", "loss", "recall"].map((name) => ({ name, direction: "max" })) }),
  ),
  refusal(
    "a key metric declared twice",
    editModel("fraud_detector", {
      keyMetrics: [
        { name: "auc", direction: "max" },
        { name: "auc", direction: "min" },
      ],
    }),
  ),
  refusal("a key metric without a direction", editModel("fraud_detector", { keyMetrics: [{ name: "auc" }] })),
  refusal("a key metric named with a #", editModel("fraud_detector", { keyMetrics: [{ name: "auc#1", direction: "max" }] })),
  refusal(
    "a key metric named __proto__, which no metric can be",
    editModel("fraud_detector", { keyMetrics: [{ name: "__proto__", direction: "max" }] }),
  ),
  refusal("51 tags", editModel("fraud_detector", { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) })),
];

describe("bad writes get a clear 4xx and change nothing", () => {
  it.each(badWrites)("answers $status $code to $name", async ({ request: event, status, code }) => {
    const before = await registry.state();

    const response = await catalog(event, lambdaContext);

    expect(response.statusCode).toBe(status);
    const { error } = decoded(response);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    expect(error.requestId).toBe(event.requestContext.requestId);
    expect(await registry.state()).toEqual(before);
  });

  it("answers 413 to tags that push a version's metadata past 64 KiB, and changes nothing", async () => {
    const features = Array.from({ length: 240 }, (_, i) => `${"f".repeat(250)}${i}`); // about 61 KiB
    const registered = await catalog(register({ source: "s3://m", features }), lambdaContext);
    expect(registered.statusCode).toBe(201);
    const version = String(JSON.parse(registered.body ?? "{}").version);
    const before = await registry.state();
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`tag-${i}`, "v".repeat(200)]));

    const response = await catalog(
      apiEvent({ routeKey: "PATCH /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: version }, body: { tags } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(413);
    expect(decoded(response).error.code).toBe("PayloadTooLarge");
    expect(await registry.state()).toEqual(before);
  });

  it("names each bad field in details, and what is wrong with it in English", async () => {
    const response = await catalog(register({ source: "s3://m", metrics: { auc: "high" }, tags: { team: 7 } }), lambdaContext);

    // zod/mini loads no locale by itself: without shared/zod.ts these would say only "Invalid input".
    expect(decoded(response).error.details).toEqual(
      expect.arrayContaining([
        { path: "body.metrics.auc", message: "Invalid input: expected number, received string" },
        { path: "body.tags.team", message: "Invalid input: expected string, received number" },
      ]),
    );
  });
});

const listVersions = (queryStringParameters: Record<string, string>) =>
  apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "fraud_detector" }, queryStringParameters });
const listModels = (queryStringParameters: Record<string, string>) => apiEvent({ routeKey: "GET /models", queryStringParameters });
const getVersion = (name: string, v: string) => apiEvent({ routeKey: "GET /models/{name}/versions/{v}", pathParameters: { name, v } });

const badReads = [
  refusal("an unknown stage filter", listVersions({ stage: "Prod" })),
  refusal("a non-numeric metric bound", listVersions({ "minMetric.auc": "high" })),
  refusal("an unknown query parameter", listVersions({ stgae: "Staging" })),
  refusal("a sort by a metric the model does not declare", listVersions({ sort: "-metric.auc" })),
  refusal("a sort by something other than a metric", listVersions({ sort: "-version" })),
  refusal("a forged cursor", listModels({ cursor: "bm90LWEtY3Vyc29y" })),
  refusal("a cursor naming no key of this listing", listModels({ cursor: "eyJzIjoibW9kZWxzOiIsImsiOnsiYSI6ImIifX0" })),
  refusal(
    "a cursor with an empty key",
    apiEvent({
      routeKey: "GET /stages/{stage}/versions",
      pathParameters: { stage: "Production" },
      queryStringParameters: { cursor: "eyJzIjoic3RhZ2U6UHJvZHVjdGlvbiIsImsiOnt9fQ" },
    }),
  ),
  refusal(
    "a cursor into another partition",
    listModels({
      cursor: "eyJzIjoibW9kZWxzOiIsImsiOnsicGsiOiJNT0RFTCN4Iiwic2siOiJNT0RFTCIsImdzaTFwayI6Ik9USEVSIiwiZ3NpMXNrIjoieCJ9fQ",
    }),
  ),
  refusal("more than 20 filters", listVersions(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`tag.k${i}`, "v"])))),
  refusal("a limit of 0", listModels({ limit: "0" })),
  refusal(
    "an unknown model",
    apiEvent({ routeKey: "GET /models/{name}", pathParameters: { name: "churn_predictor" } }),
    404,
    "ModelNotFound",
  ),
  refusal(
    "versions of an unknown model",
    apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "churn_predictor" } }),
    404,
    "ModelNotFound",
  ),
  refusal("an unknown version", getVersion("fraud_detector", "v9.9.9"), 404, "VersionNotFound"),
  refusal("a version that is neither number nor semver", getVersion("fraud_detector", "0")),
];

describe("bad reads get a clear 4xx", () => {
  it.each(badReads)("answers $status $code to $name", async ({ request: event, status, code }) => {
    const response = await query(event, lambdaContext);

    expect(response.statusCode).toBe(status);
    expect(decoded(response).error.code).toBe(code);
  });
});

const NUMBERS_OUT_OF_RANGE = [1e21, 9007199254740994, 1e308, -1e308, 1e200, 1e-200];

describe("a policy no version could pass, or that lists an entry twice, is refused when it is set", () => {
  const putPolicy = (body: unknown, name = "fraud_detector") =>
    lifecycle(apiEvent({ routeKey: "PUT /models/{name}/policy", pathParameters: { name }, body }), lambdaContext);

  it.each([
    {
      rule: "a metric's lowest allowed value above its highest",
      body: { Production: { minMetrics: { auc: 0.95 }, maxMetrics: { auc: 0.9 } } },
      path: "body.Production.minMetrics.auc",
      message: "auc at least 0.95 and at most 0.9: no version can enter Production",
    },
    {
      rule: "versions required to come from the stage the gate guards",
      body: { staging: { requireFrom: "Staging" } },
      path: "body.Staging.requireFrom",
      message: "a version never moves from Staging to Staging: require the stage(s) it comes from",
    },
    {
      rule: "versions required to come from stages no transition moves into the one the gate guards",
      body: { Production: { requireFrom: ["None", "Archived"] } },
      path: "body.Production.requireFrom",
      message: "a version never moves from None or Archived to Production: require the stage(s) it comes from",
    },
    {
      rule: "a protected alias listed twice",
      body: { protectedAliases: ["champion", "challenger", "champion"] },
      path: "body.protectedAliases.2",
      message: "'champion' is listed twice: list it once",
    },
    {
      rule: "a required tag listed twice",
      body: { Production: { requiredTags: ["team", "team"] } },
      path: "body.Production.requiredTags.1",
      message: "'team' is listed twice: list it once",
    },
    {
      rule: "a stage to come from listed twice, in two spellings",
      body: { Production: { requireFrom: ["Staging", "staging"] } },
      path: "body.Production.requireFrom.1",
      message: "'Staging' is listed twice: list it once",
    },
    {
      rule: "an approver role listed twice",
      body: { Production: { requiredApprovals: { count: 1, roles: ["admin", "promoter", "admin"] } } },
      path: "body.Production.requiredApprovals.roles.2",
      message: "'admin' is listed twice: list it once",
    },
  ])("answers 400 naming $rule, and changes nothing", async ({ body, path, message }) => {
    const before = await registry.state();

    const response = await putPolicy(body);

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.details).toEqual([{ path, message }]);
    expect(await registry.state()).toEqual(before);
  });

  it("takes bounds that meet and a gate that also takes versions from elsewhere", async () => {
    const model = "policy_bounds";
    await catalog(register({ source: "s3://m" }, model), lambdaContext);
    const policy = { Production: { minMetrics: { auc: 0.9 }, maxMetrics: { auc: 0.9 }, requireFrom: ["Staging", "Production"] } };

    const response = await lifecycle(
      apiEvent({ routeKey: "PUT /models/{name}/policy", pathParameters: { name: model }, body: policy }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(200);
  });

  it("still reads a gate stored before such gates were refused, so that a PUT can replace it", async () => {
    const model = "policy_stored_earlier";
    await catalog(register({ source: "s3://m" }, model), lambdaContext);
    await putPolicy({ Staging: { requiredTags: ["owner"] } }, model);
    // What an earlier release stored: a gate the PUT now refuses.
    await registry.setAttributes({ pk: `MODEL#${model}`, sk: "POLICY" }, { gates: { Staging: { requireFrom: ["Staging"] } } });

    const read = await query(apiEvent({ routeKey: "GET /models/{name}/policy", pathParameters: { name: model } }), lambdaContext);
    const replaced = await putPolicy({ Staging: { requiredTags: ["owner"] } }, model);

    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body ?? "{}")).toMatchObject({ Staging: { requireFrom: ["Staging"] } });
    expect(replaced.statusCode).toBe(200);
  });
});

describe("numbers the store cannot hold are refused at the edge", () => {
  const numberedWrites = NUMBERS_OUT_OF_RANGE.flatMap((n) => [
    {
      name: `a metric of ${n}`,
      field: "body.metrics.auc",
      handler: () => catalog,
      event: register({ source: "s3://m", metrics: { auc: n } }),
    },
    {
      name: `a param of ${n}`,
      field: "body.params.depth",
      handler: () => catalog,
      event: register({ source: "s3://m", params: { depth: n } }),
    },
    {
      name: `a policy bound of ${n}`,
      field: "body.Production.minMetrics.auc",
      handler: () => lifecycle,
      event: apiEvent({
        routeKey: "PUT /models/{name}/policy",
        pathParameters: { name: "fraud_detector" },
        body: { Production: { minMetrics: { auc: n } } },
      }),
    },
  ]);

  it.each(numberedWrites)("answers 400 naming the field to $name, and changes nothing", async ({ handler, event, field }) => {
    const before = await registry.state();

    const response = await handler()(event, lambdaContext);

    expect(response.statusCode).toBe(400);
    const { error } = decoded(response);
    expect(error.details).toEqual([
      {
        path: field,
        message: expect.stringContaining("from -9007199254740991 to 9007199254740991, and 0 or at least 1e-130 in magnitude"),
      },
    ]);
    expect(await registry.state()).toEqual(before);
  });

  it.each(["1e21", "9007199254740994", "-1e308", "1e-200", "0x10", " 5"])(
    "answers 400 naming the filter to minMetric.auc=%s",
    async (bound) => {
      const response = await query(
        apiEvent({
          routeKey: "GET /models/{name}/versions",
          pathParameters: { name: "fraud_detector" },
          queryStringParameters: { "minMetric.auc": bound },
        }),
        lambdaContext,
      );

      expect(response.statusCode).toBe(400);
      expect(decoded(response).error.details).toEqual([{ path: "query.minMetric.auc", message: expect.any(String) }]);
    },
  );
});

describe("forged cursors that keep the listing's scope but bend its key are 400s", () => {
  interface Listing {
    readonly name: string;
    readonly routeKey: string;
    readonly pathParameters?: Record<string, string>;
    readonly queryStringParameters?: Record<string, string>;
    readonly scope: string;
    readonly key: Record<string, string>;
    /** The listing's key condition has a sort key prefix (begins_with) that a start key must keep. */
    readonly sortPrefix?: boolean;
  }
  const listings: Listing[] = [
    {
      name: "history",
      routeKey: "GET /models/{name}/history",
      pathParameters: { name: "fraud_detector" },
      scope: "history:fraud_detector:",
      key: { pk: "MODEL#fraud_detector" },
      sortPrefix: true,
    },
    { name: "models", routeKey: "GET /models", scope: "models:", key: { pk: "MODEL#fraud_detector", sk: "MODEL", gsi1pk: "MODELS" } },
    {
      name: "models by prefix",
      routeKey: "GET /models",
      queryStringParameters: { prefix: "fraud" },
      scope: "models:fraud",
      key: { pk: "MODEL#fraud_detector", sk: "MODEL", gsi1pk: "MODELS" },
      sortPrefix: true,
    },
    {
      name: "stage versions",
      routeKey: "GET /stages/{stage}/versions",
      pathParameters: { stage: "Staging" },
      scope: "stage:Staging",
      key: { pk: "MODEL#fraud_detector", sk: "VERSION#0000000001", gsi1pk: "STAGE#Staging" },
    },
    {
      name: "dataset usage",
      routeKey: "GET /lineage/datasets/{id+}",
      pathParameters: { id: "fraud_training" },
      scope: "dataset:fraud_training",
      key: { pk: "MODEL#fraud_detector", sk: "DATASET#fraud_training#0000000001", gsi1pk: "DATASET#fraud_training" },
    },
  ];
  const sortKey = (key: Record<string, string>) => ("gsi1pk" in key ? "gsi1sk" : "sk");
  const bent = listings.flatMap((listing) =>
    [
      { how: "an empty sort key", value: "" },
      { how: "a sort key over 1024 bytes", value: `HISTORY#${"9".repeat(1100)}` },
      ...(listing.sortPrefix ? [{ how: "a sort key outside the listing's prefix", value: "churn" }] : []),
    ].map(({ how, value }) => ({
      ...listing,
      how,
      cursor: encodeCursor(listing.scope, { ...listing.key, [sortKey(listing.key)]: value }),
    })),
  );

  it.each(bent)("answers 400 to $how on $name", async ({ routeKey, pathParameters, queryStringParameters, cursor }) => {
    const response = await query(
      apiEvent({ routeKey, pathParameters, queryStringParameters: { ...queryStringParameters, cursor } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.details).toEqual([{ path: "cursor", message: "unknown cursor" }]);
  });
});

describe("query parameters are what they say", () => {
  it.each([
    { routeKey: "GET /models", value: "0x10" },
    { routeKey: "GET /models", value: " 5" },
    { routeKey: "GET /models", value: "1e1" },
    { routeKey: "GET /models/{name}/history", value: "0x10" },
  ])("answers 400 to limit=$value on $routeKey", async ({ routeKey, value }) => {
    const response = await query(
      apiEvent({ routeKey, pathParameters: { name: "fraud_detector" }, queryStringParameters: { limit: value } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.details).toEqual([{ path: "query.limit", message: "limit is a whole number from 1 to 100" }]);
  });

  it.each<{ routeKey: string; pathParameters?: Record<string, string>; extra?: Record<string, string> }>([
    { routeKey: "GET /models" },
    { routeKey: "GET /stages/{stage}/versions", pathParameters: { stage: "Staging" } },
    { routeKey: "GET /resolve", extra: { uri: "models:/fraud_detector/1" } },
    { routeKey: "GET /lineage/datasets/{id+}", pathParameters: { id: "fraud_training" } },
    { routeKey: "GET /models/{name}/history", pathParameters: { name: "fraud_detector" } },
  ])("answers 400 naming an unknown query parameter on $routeKey", async ({ routeKey, pathParameters, extra }) => {
    const response = await query(
      apiEvent({ routeKey, pathParameters, queryStringParameters: { ...extra, prefx: "fraud" } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.message).toContain('Unrecognized key: "prefx"');
  });
});

describe("prototype names are ordinary names", () => {
  const aliasEvent = (method: "PUT" | "DELETE", body?: unknown) =>
    apiEvent({
      routeKey: `${method} /models/{name}/aliases/{alias}`,
      pathParameters: { name: "fraud_detector", alias: "constructor" },
      body,
    });

  it("sets, reads, moves and deletes an alias named constructor", async () => {
    expect((await lifecycle(aliasEvent("DELETE"), lambdaContext)).statusCode).toBe(404);
    const set = await lifecycle(aliasEvent("PUT", { version: 1, expectedVersion: null }), lambdaContext);
    expect(set.statusCode).toBe(200);
    expect(JSON.parse(set.body ?? "{}")).toMatchObject({ alias: "constructor", version: 1, previousVersion: null });
    const read = await query(
      apiEvent({ routeKey: "GET /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: "constructor" } }),
      lambdaContext,
    );
    expect(JSON.parse(read.body ?? "{}")).toMatchObject({ version: 1 });
    const registered = await catalog(register({ source: "s3://m" }), lambdaContext);
    const second = JSON.parse(registered.body ?? "{}").version as number;

    const moved = await lifecycle(aliasEvent("PUT", { version: second, expectedVersion: 1 }), lambdaContext);
    const deleted = await lifecycle(aliasEvent("DELETE"), lambdaContext);

    expect(JSON.parse(moved.body ?? "{}")).toMatchObject({ version: second, previousVersion: 1 });
    expect(JSON.parse(deleted.body ?? "{}")).toMatchObject({ version: null, previousVersion: second });
    const model = await query(apiEvent({ routeKey: "GET /models/{name}", pathParameters: { name: "fraud_detector" } }), lambdaContext);
    expect(Object.hasOwn(JSON.parse(model.body ?? "{}").aliases, "constructor")).toBe(false);
  });

  it("keeps tags, metrics and params named like prototype members", async () => {
    const names = { constructor: "c", toString: "t", hasOwnProperty: "h", valueOf: "v" };
    const metrics = { constructor: 0.5, toString: 1 };

    const response = await catalog(register({ source: "s3://m", tags: names, metrics, params: names, dependencies: names }), lambdaContext);

    expect(response.statusCode).toBe(201);
    const read = await query(
      apiEvent({
        routeKey: "GET /models/{name}/versions/{v}",
        pathParameters: { name: "fraud_detector", v: String(JSON.parse(response.body ?? "{}").version) },
      }),
      lambdaContext,
    );
    expect(JSON.parse(read.body ?? "{}")).toMatchObject({ tags: names, metrics, params: names, dependencies: names });
  });

  it.each(["tags", "metrics", "params", "dependencies"])("answers 400 naming body.%s.__proto__, and changes nothing", async (field) => {
    const before = await registry.state();
    const value = field === "metrics" ? 1 : "x";

    const response = await catalog(
      apiEvent({
        routeKey: "POST /models/{name}/versions",
        pathParameters: { name: "fraud_detector" },
        rawBody: `{"source":"s3://m","${field}":{"__proto__":${JSON.stringify(value)}}}`,
      }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.details).toEqual([
      { path: `body.${field}.__proto__`, message: expect.stringContaining("'__proto__' cannot be a name") },
    ]);
    expect(await registry.state()).toEqual(before);
  });

  it("does not let a policy rule named constructor pass a version that lacks that metric and tag", async () => {
    const model = "ledger_scorer";
    await catalog(register({ source: "s3://m" }, model), lambdaContext);
    const policy = await lifecycle(
      apiEvent({
        routeKey: "PUT /models/{name}/policy",
        pathParameters: { name: model },
        body: { Staging: { minMetrics: { constructor: 0.5 }, requiredTags: ["toString"] } },
      }),
      lambdaContext,
    );
    expect(policy.statusCode).toBe(200);

    const response = await lifecycle(
      apiEvent({
        routeKey: "POST /models/{name}/versions/{v}/transitions",
        pathParameters: { name: model, v: "1" },
        body: { to: "Staging", reason: "try" },
      }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(422);
    expect((decoded(response).error.details as { rule: string }[]).map((d) => d.rule)).toEqual([
      "minMetrics.constructor",
      "requiredTags.toString",
    ]);
  });

  it("compares a metric named constructor that only one version reports as reported by one side", async () => {
    const model = "ledger_ranker";
    await catalog(register({ source: "s3://m", metrics: { constructor: 0.5 }, params: { toString: 1 } }, model), lambdaContext);
    await catalog(register({ source: "s3://m" }, model), lambdaContext);

    const response = await query(
      apiEvent({ routeKey: "GET /models/{name}/compare", pathParameters: { name: model }, queryStringParameters: { versions: "2,1" } }),
      lambdaContext,
    );

    expect(JSON.parse(response.body ?? "{}")).toMatchObject({
      metrics: {},
      metricsOnlyIn: { a: {}, b: { constructor: 0.5 } },
      params: { added: { toString: 1 }, removed: {}, changed: {} },
    });
  });
});

describe("semantic version labels stay labels the registry can count and address", () => {
  const LONG_PATCH = `1.0.${"9".repeat(3000)}`;

  it.each([
    ["a patch of 3,000 digits, longer than a table key", LONG_PATCH],
    ["a major of 16 digits, past what bumping counts exactly", "1000000000000000.0.0"],
  ])("answers 400 naming body.semver to %s, and changes nothing", async (_, semver) => {
    const before = await registry.state();

    const response = await catalog(register({ source: "s3://m", semver }), lambdaContext);

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.details).toEqual([{ path: "body.semver", message: expect.stringContaining("at most 15 digits") }]);
    expect(await registry.state()).toEqual(before);
  });

  it("answers 400 to a version selected by a label of 3,000 digits", async () => {
    const response = await query(
      apiEvent({ routeKey: "GET /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: `v${LONG_PATCH}` } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(400);
    expect(decoded(response).error.code).toBe("ValidationError");
  });

  it("bumps the highest label a number can be to the next, and refuses a bump past it, changing nothing", async () => {
    const name = "label_counter";
    const labelled = await catalog(register({ source: "s3://m", semver: "999999999999999.0.999999999999998" }, name), lambdaContext);
    expect(labelled.statusCode).toBe(201);
    const bumped = await catalog(register({ source: "s3://m", bump: "patch" }, name), lambdaContext);
    expect(JSON.parse(bumped.body ?? "{}")).toMatchObject({ semver: "999999999999999.0.999999999999999" });
    const before = await registry.state();

    const past = await catalog(register({ source: "s3://m", bump: "major" }, name), lambdaContext);

    expect(past.statusCode).toBe(400);
    expect(decoded(past).error).toMatchObject({
      code: "ValidationError",
      details: [{ path: "body.bump", message: expect.stringContaining("999999999999999.0.999999999999999") }],
    });
    expect(await registry.state()).toEqual(before);
  });
});

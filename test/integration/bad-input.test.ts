import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, createTestRegistry, lambdaContext, useRegistryEnvironment, type TestRegistry } from "../support/registry";

let registry: TestRegistry;
let catalog: (typeof import("../../functions/catalog/handler"))["handler"];
let query: (typeof import("../../functions/query/handler"))["handler"];

beforeAll(async () => {
  registry = await createTestRegistry();
  useRegistryEnvironment(registry);
  ({ handler: catalog } = await import("../../functions/catalog/handler"));
  ({ handler: query } = await import("../../functions/query/handler"));
  const seeded = await catalog(apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name: "fraud_detector" }, body: { source: "s3://models/fraud/1" } }), lambdaContext);
  expect(seeded.statusCode).toBe(201);
});
afterAll(async () => {
  await registry.drop();
});

const register = (body: unknown, name = "fraud_detector") => apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name }, body });
const decoded = (response: APIGatewayProxyStructuredResultV2) => JSON.parse(response.body ?? "{}") as { error: { code: string; message: string; details?: unknown; requestId?: string } };

const badWrites = [
  { name: "malformed JSON", event: apiEvent({ routeKey: "POST /models", rawBody: '{"name": "fraud_detector",' }), status: 400, code: "ValidationError" },
  { name: "a missing body", event: apiEvent({ routeKey: "POST /models" }), status: 400, code: "ValidationError" },
  { name: "a metric that is a string", event: register({ source: "s3://m", metrics: { auc: "high" } }), status: 400, code: "ValidationError" },
  { name: "a NaN metric (not JSON)", event: apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name: "fraud_detector" }, rawBody: '{"source":"s3://m","metrics":{"auc":NaN}}' }), status: 400, code: "ValidationError" },
  { name: "an infinite metric (1e999)", event: apiEvent({ routeKey: "POST /models/{name}/versions", pathParameters: { name: "fraud_detector" }, rawBody: '{"source":"s3://m","metrics":{"auc":1e999}}' }), status: 400, code: "ValidationError" },
  { name: "features that are not a list", event: register({ source: "s3://m", features: "amount" }), status: 400, code: "ValidationError" },
  { name: "an unknown field", event: register({ source: "s3://m", metric: { auc: 0.9 } }), status: 400, code: "ValidationError" },
  { name: "both semver and bump", event: register({ source: "s3://m", semver: "1.0.0", bump: "minor" }), status: 400, code: "ValidationError" },
  { name: "a parent version that does not exist", event: register({ source: "s3://m", lineage: { parentVersions: [7] } }), status: 400, code: "ValidationError" },
  { name: "65 KiB of metadata", event: register({ source: "s3://m", description: "d", params: { blob: "x".repeat(4000) }, features: Array.from({ length: 300 }, (_, i) => `${"f".repeat(220)}${i}`) }), status: 413, code: "PayloadTooLarge" },
  { name: "a name with a slash", event: apiEvent({ routeKey: "POST /models", body: { name: "fraud/detector" } }), status: 400, code: "ValidationError" },
  { name: "a name with ..", event: register({ source: "s3://m" }, "fraud..detector"), status: 400, code: "ValidationError" },
  { name: "a versioned name under the strict naming policy", event: apiEvent({ routeKey: "POST /models", body: { name: "fraud_detector_v2" } }), status: 400, code: "ValidationError" },
  { name: "an existing model", event: apiEvent({ routeKey: "POST /models", body: { name: "fraud_detector" } }), status: 409, code: "ModelAlreadyExists" },
  { name: "an edit of an unknown model", event: apiEvent({ routeKey: "PATCH /models/{name}", pathParameters: { name: "churn_predictor" }, body: { description: "x" } }), status: 404, code: "ModelNotFound" },
  { name: "an edit of an unknown version", event: apiEvent({ routeKey: "PATCH /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: "9" }, body: { tags: { a: "b" } } }), status: 404, code: "VersionNotFound" },
  { name: "an empty edit", event: apiEvent({ routeKey: "PATCH /models/{name}", pathParameters: { name: "fraud_detector" }, body: {} }), status: 400, code: "ValidationError" },
  { name: "51 tags", event: apiEvent({ routeKey: "PATCH /models/{name}", pathParameters: { name: "fraud_detector" }, body: { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) } }), status: 400, code: "ValidationError" },
];

describe("bad writes get a clear 4xx and change nothing", () => {
  it.each(badWrites)("answers $status $code to $name", async ({ event, status, code }) => {
    const before = await registry.items();

    const response = await catalog(event, lambdaContext);

    expect(response.statusCode).toBe(status);
    const { error } = decoded(response);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    expect(error.requestId).toBe(event.requestContext.requestId);
    expect(await registry.items()).toEqual(before);
  });

  it("answers 413 to tags that push a version's metadata past 64 KiB, and changes nothing", async () => {
    const features = Array.from({ length: 240 }, (_, i) => `${"f".repeat(250)}${i}`); // about 61 KiB
    const registered = await catalog(register({ source: "s3://m", features }), lambdaContext);
    expect(registered.statusCode).toBe(201);
    const version = String(JSON.parse(registered.body ?? "{}").version);
    const before = await registry.items();
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`tag-${i}`, "v".repeat(200)]));

    const response = await catalog(apiEvent({ routeKey: "PATCH /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: version }, body: { tags } }), lambdaContext);

    expect(response.statusCode).toBe(413);
    expect(decoded(response).error.code).toBe("PayloadTooLarge");
    expect(await registry.items()).toEqual(before);
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

const badReads = [
  { name: "an unknown stage filter", event: apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "fraud_detector" }, queryStringParameters: { stage: "Prod" } }), status: 400, code: "ValidationError" },
  { name: "a non-numeric metric bound", event: apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "fraud_detector" }, queryStringParameters: { "minMetric.auc": "high" } }), status: 400, code: "ValidationError" },
  { name: "an unknown query parameter", event: apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "fraud_detector" }, queryStringParameters: { stgae: "Staging" } }), status: 400, code: "ValidationError" },
  { name: "a forged cursor", event: apiEvent({ routeKey: "GET /models", queryStringParameters: { cursor: "bm90LWEtY3Vyc29y" } }), status: 400, code: "ValidationError" },
  { name: "a cursor naming no key of this listing", event: apiEvent({ routeKey: "GET /models", queryStringParameters: { cursor: "eyJzIjoibW9kZWxzOiIsImsiOnsiYSI6ImIifX0" } }), status: 400, code: "ValidationError" },
  { name: "a cursor with an empty key", event: apiEvent({ routeKey: "GET /stages/{stage}/versions", pathParameters: { stage: "Production" }, queryStringParameters: { cursor: "eyJzIjoic3RhZ2U6UHJvZHVjdGlvbiIsImsiOnt9fQ" } }), status: 400, code: "ValidationError" },
  { name: "a cursor into another partition", event: apiEvent({ routeKey: "GET /models", queryStringParameters: { cursor: "eyJzIjoibW9kZWxzOiIsImsiOnsicGsiOiJNT0RFTCN4Iiwic2siOiJNT0RFTCIsImdzaTFwayI6Ik9USEVSIiwiZ3NpMXNrIjoieCJ9fQ" } }), status: 400, code: "ValidationError" },
  { name: "more than 20 filters", event: apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "fraud_detector" }, queryStringParameters: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`tag.k${i}`, "v"])) }), status: 400, code: "ValidationError" },
  { name: "a limit of 0", event: apiEvent({ routeKey: "GET /models", queryStringParameters: { limit: "0" } }), status: 400, code: "ValidationError" },
  { name: "an unknown model", event: apiEvent({ routeKey: "GET /models/{name}", pathParameters: { name: "churn_predictor" } }), status: 404, code: "ModelNotFound" },
  { name: "versions of an unknown model", event: apiEvent({ routeKey: "GET /models/{name}/versions", pathParameters: { name: "churn_predictor" } }), status: 404, code: "ModelNotFound" },
  { name: "an unknown version", event: apiEvent({ routeKey: "GET /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: "v9.9.9" } }), status: 404, code: "VersionNotFound" },
  { name: "a version that is neither number nor semver", event: apiEvent({ routeKey: "GET /models/{name}/versions/{v}", pathParameters: { name: "fraud_detector", v: "0" } }), status: 400, code: "ValidationError" },
];

describe("bad reads get a clear 4xx", () => {
  it.each(badReads)("answers $status $code to $name", async ({ event, status, code }) => {
    const response = await query(event, lambdaContext);

    expect(response.statusCode).toBe(status);
    expect(decoded(response).error.code).toBe(code);
  });
});

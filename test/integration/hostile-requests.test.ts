/**
 * Hostile requests, generated from the route table: every route gets malformed and adversarial
 * input (wrong types, numbers DynamoDB or the SDK cannot hold, odd and huge unicode, prototype
 * names as keys and path segments, forged cursors, oversize strings, arrays and objects, missing
 * and unknown fields) through the real Lambda handlers, against DynamoDB Local and s3rver.
 * A route added to shared/routes.ts is covered without touching this file.
 *
 * Properties: never a 5xx; every 4xx carries the error body with a code; a refused request leaves
 * the table exactly as it was.
 *
 * Reproducing a failure: fast-check prints the seed and path of the failing run; re-run with
 * `HOSTILE_SEED=<seed> npx vitest run test/integration/hostile-requests.test.ts` (add
 * `HOSTILE_PATH=<path>` to replay just the shrunk counterexample). `HOSTILE_RUNS=<n>` sends n
 * requests per route instead of 20.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "../../shared/zod";
import { FUNCTIONS, routes, routeKey, isWriteRoute, type FunctionName, type RouteDefinition } from "../../shared/routes";
import { errorBody } from "../../shared/schemas/common";
import { isMlflowRouteKey } from "../../shared/mlflow/errors";
import { apiEvent, lambdaContext, putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { completeAndVerify } from "../support/verification";
import type { FileUploadView } from "../../shared/schemas/artifact";
import { useTestRegistry, loadHandlers, type ApiHandler } from "../support/registry";

type Response = APIGatewayProxyStructuredResultV2;

/** Requests per route: 51 routes × 20 ≈ 1000 requests, about 30 s on a busy 2-core machine (HOSTILE_RUNS for a longer run). */
const RUNS_PER_ROUTE = Number(process.env.HOSTILE_RUNS ?? 20);
const SEED = process.env.HOSTILE_SEED === undefined ? undefined : Number(process.env.HOSTILE_SEED);
const PATH = process.env.HOSTILE_PATH;

const MODEL = "fraud_detector";
const DATASET = "fraud_training";
/** Path values that name seeded things, so that requests get past the 404s into the use cases. */
const SEEDED_PATH: Record<string, string[]> = {
  name: [MODEL, "churn_predictor"],
  v: ["1", "2", "3", "4", "5", "6", "7", "champion", "Production", "Staging", "latest", "v1.0.0"],
  alias: ["champion", "constructor", "challenger"],
  stage: ["Staging", "Production", "Archived"],
  id: [DATASET],
};
const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"];

const registry = useTestRegistry();
let handlers: Record<FunctionName, ApiHandler>;
/** Real cursors of each listing (learned from the seeded table): forgeries keep their scope and bend their key. */
const realCursors = new Map<string, { s: string; k: Record<string, string> }>();
const statusCounts = new Map<number, number>();
let snapshot: Record<string, unknown>[] = [];

const send = (route: RouteDefinition, request: Parameters<typeof apiEvent>[0]) =>
  handlers[route.function](apiEvent({ ...request, routeKey: routeKey(route) }), lambdaContext) as Promise<Response>;
const routeOf = (key: string) => routes.find((r) => routeKey(r) === key) as RouteDefinition;

async function seed(): Promise<void> {
  const call = async (key: string, request: Omit<Parameters<typeof apiEvent>[0], "routeKey">) => {
    const response = await send(routeOf(key), { routeKey: key, ...request });
    expect(response.statusCode, `${key} ${response.body}`).toBeLessThan(300);
    return JSON.parse(response.body ?? "{}") as Record<string, unknown>;
  };
  const lineage = { datasets: [{ id: DATASET, version: "v1" }] };
  await call("POST /models", { body: { name: "churn_predictor", tags: { constructor: "ok" } } });
  for (const [i, bump] of (["major", "minor", "patch", "patch"] as const).entries()) {
    await call("POST /models/{name}/versions", {
      pathParameters: { name: MODEL },
      body: {
        source: `s3://models/fraud/${i}`,
        bump,
        metrics: { auc: 0.9 + i / 100, constructor: 1 },
        params: { depth: 6 },
        tags: { reviewed: "yes" },
        lineage,
      },
    });
  }
  await call("POST /models/{name}/versions", {
    pathParameters: { name: MODEL },
    body: { artifact: { filename: "model.bin", sizeBytes: 3, sha256: "a".repeat(64) } },
  });
  const move = (v: string, to: string) =>
    call("POST /models/{name}/versions/{v}/transitions", { pathParameters: { name: MODEL, v }, body: { to, reason: "seed" } });
  await move("1", "Staging");
  await move("1", "Production");
  await move("2", "Staging");
  await move("3", "Staging");
  await move("4", "Archived");
  await call("PUT /models/{name}/aliases/{alias}", { pathParameters: { name: MODEL, alias: "champion" }, body: { version: 1 } });
  await call("PUT /models/{name}/policy", {
    pathParameters: { name: MODEL },
    body: { Production: { minMetrics: { auc: 0.5 }, requiredTags: ["reviewed"] } },
  });
  for (const stage of ["Production", "alias:champion"])
    await call("POST /models/{name}/versions/{v}/approvals", {
      pathParameters: { name: MODEL, v: "1" },
      body: { stage, decision: "approve" },
    });
  await seedFiles(call);
  // Versions 4 (Archived), 5 and 7 (uploads never finished) for the retention preview, so that it has a second page.
  await call("PUT /models/{name}/retention", { pathParameters: { name: MODEL }, body: { keepArchived: 0, abandonedUploadsAfterHours: 0 } });
  await learnCursors();
}

/** Version 6: READY with two files, so its file listing has a second page; version 7 waits for two files' bytes. */
async function seedFiles(
  call: (key: string, request: Omit<Parameters<typeof apiEvent>[0], "routeKey">) => Promise<Record<string, unknown>>,
) {
  const files = new Map([
    ["weights.bin", Buffer.from("weights")],
    ["config.json", Buffer.from("{}")],
  ]);
  const declared = [...files].map(([path, bytes]) => ({ path, sizeBytes: bytes.length, sha256: sha256(bytes) }));
  const registered = await call("POST /models/{name}/versions", { pathParameters: { name: MODEL }, body: { files: declared } });
  for (const { path, upload } of registered.uploads as FileUploadView[]) await putBytes(singlePut(upload), files.get(path) as Buffer);
  await completeAndVerify(registry.deps, MODEL, { number: registered.version as number }, roleCaller("seed", "req-seed"));
  // Version 7: two files whose bytes never came, so its upload plan has a second page.
  const waiting = ["a.bin", "b.bin"].map((path) => ({ path, sizeBytes: 7, sha256: sha256(Buffer.from(`waiting ${path}`)) }));
  await call("POST /models/{name}/versions", { pathParameters: { name: MODEL }, body: { files: waiting } });
}

/** One page of one item from every listing that takes a cursor, with the seeded path values. */
async function learnCursors(): Promise<void> {
  for (const route of routes as readonly RouteDefinition[]) {
    if (!queryNames(route).includes("cursor")) continue;
    const pathParameters = Object.fromEntries(pathNames(route).map((name) => [name, (SEEDED_PATH[name] ?? [""])[0] as string]));
    const pathFor =
      route.path === "/stages/{stage}/versions"
        ? { stage: "Staging" }
        : route.path.endsWith("/artifact")
          ? { ...pathParameters, v: "6" }
          : route.path.endsWith("/artifact/uploads")
            ? { ...pathParameters, v: "7" }
            : pathParameters;
    const response = await send(route, { routeKey: routeKey(route), pathParameters: pathFor, queryStringParameters: { limit: "1" } });
    const { nextCursor } = JSON.parse(response.body ?? "{}") as { nextCursor?: string };
    expect(nextCursor, `${routeKey(route)} should have a second page`).toBeDefined();
    realCursors.set(routeKey(route), JSON.parse(Buffer.from(nextCursor as string, "base64url").toString("utf8")));
  }
}

beforeAll(async () => {
  handlers = await loadHandlers(registry, ...(Object.keys(FUNCTIONS) as FunctionName[]));
  await seed();
  snapshot = await registry.items();
}, 120_000);

afterAll(() => {
  const total = [...statusCounts.values()].reduce((a, b) => a + b, 0);
  console.log(
    `hostile requests: ${total} sent; by status ${JSON.stringify(Object.fromEntries([...statusCounts].sort(([a], [b]) => a - b)))}`,
  );
});

// ---------------------------------------------------------------------------------------------
// Hostile values

const LONE_SURROGATES = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 3,
});
const OVERSIZE = fc.constantFrom(300, 1100, 2100, 5000, 70_000).map((n) => "x".repeat(n));

/** Strings a URL can carry (well-formed unicode): odd, huge, numeric-looking, prototype names. */
const hostileText = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "null",
    "0",
    "-1",
    "1e21",
    "9007199254740994",
    "0x10",
    " 5",
    "1e-200",
    "NaN",
    "Infinity",
    "\u0000",
    "%00",
    "../..",
    "a/b",
    "🤖",
    "é",
    "\u202e",
    ...PROTOTYPE_NAMES,
  ),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary-ascii", maxLength: 30 }),
  OVERSIZE,
);
/** JSON strings may also hold lone surrogates ("\ud800"), which JSON.parse gives back as they are. */
const hostileString = fc.oneof(hostileText, LONE_SURROGATES);

/** Out of range for DynamoDB or the SDK, at the edges of it, or merely odd. */
const hostileNumber = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(1e21, 9007199254740994, 1e308, -1e308, 1e200, 1e-200, -1e-200, 5e-324) },
  fc.constantFrom(9007199254740991, 1e-130, 0, -1, 0.5, 2 ** 31, 1e10, 11),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

const hostileKey = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), hostileString);

/** An object with own properties, `__proto__` included (Object.fromEntries defines rather than assigns). */
const objectOf = <V>(entries: [string, V][]): Record<string, V> => Object.fromEntries(entries);

const { anything: hostileValue } = fc.letrec<{ anything: unknown }>((tie) => ({
  anything: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("anything"), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie("anything")), { maxLength: 4 }).map(objectOf),
    fc.constantFrom(6000, 60).map((n) => Array.from({ length: n }, (_, i) => `f${i}`)),
    fc.constant(objectOf(Array.from({ length: 60 }, (_, i) => [`k${i}`, "v"]))),
  ),
}));

// ---------------------------------------------------------------------------------------------
// Generators from the route table

const pathNames = (route: RouteDefinition) => [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1] as string);

type JsonSchema = {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
};
const jsonSchemaOf = (schema: z.core.$ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;

/** The named query parameters of a route's schema, plus the version list's filters. */
function queryNames(route: RouteDefinition): string[] {
  const schema = route.request?.query;
  if (!schema) return [];
  const named = Object.keys(jsonSchemaOf(schema).properties ?? {});
  return named.length > 0
    ? named
    : ["stage", "status", "limit", "cursor", "minMetric.auc", "maxMetric.auc", "tag.reviewed", "minMetric.constructor", "tag.__proto__"];
}

/** Values shaped like the schema wants, now and then swapped for a hostile value; objects may gain unknown keys. */
function fromSchema(schema: JsonSchema | boolean | undefined, calm: number, depth = 0): fc.Arbitrary<unknown> {
  if (typeof schema !== "object" || depth > 4) return hostileValue;
  return fc.oneof({ weight: 2 * calm, arbitrary: shaped(schema, calm, depth) }, { weight: 1, arbitrary: hostileValue });
}

/** Plausible values, so that many requests get past validation into the use cases. */
const PLAUSIBLE_STRINGS = [
  "s3://models/fraud/9",
  "fraud_detector",
  "auc",
  "reviewed",
  "yes",
  "champion",
  "1.2.0",
  DATASET,
  "a".repeat(64),
  "model.bin",
  "2024-01-15T10:30:00Z",
];
const plausible = <T>(values: readonly T[], hostile: fc.Arbitrary<T>, calm: number) =>
  fc.oneof({ weight: calm, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: hostile });

function shaped(schema: JsonSchema, calm: number, depth: number): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => shaped(s, calm, depth + 1)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if ("const" in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" || schema.properties) return shapedObject(schema, calm, depth);
  if (type === "array") return fc.array(fromSchema(schema.prefixItems?.[0] ?? schema.items, calm, depth + 1), { maxLength: 4 });
  if (type === "number" || type === "integer") return plausible([1, 2, 3, 0.9], hostileNumber, calm);
  if (type === "boolean") return fc.boolean();
  if (type === "null") return fc.constant(null);
  if (type === "string") return plausible(PLAUSIBLE_STRINGS, hostileString, calm);
  return hostileValue;
}

/** Required fields are usually there, optional ones now and then; a map gets a few entries, keys hostile at times. */
function shapedObject(schema: JsonSchema, calm: number, depth: number): fc.Arbitrary<unknown> {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, s]) =>
    fc.option(
      fromSchema(s, calm, depth + 1).map((value) => [name, value] as [string, unknown]),
      { freq: required.has(name) ? 10 : 2, nil: undefined },
    ),
  );
  const isMap = typeof schema.additionalProperties === "object";
  const key = isMap ? plausible(["auc", "team", "constructor", "toString"], hostileKey, calm) : hostileKey;
  const extra = fc.array(fc.tuple(key, fromSchema(schema.additionalProperties, calm, depth + 1)), { maxLength: isMap ? 3 : 1 });
  const unknownFields = isMap ? extra : fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extra });
  return fc
    .tuple(fc.tuple(...fields), unknownFields)
    .map(([named, more]) => objectOf([...named.filter((field) => field !== undefined), ...more]));
}

/** A cursor of the route's listing with its key bent out of shape, or garbage. */
function forgedCursor(route: RouteDefinition): fc.Arbitrary<string> {
  const real = realCursors.get(routeKey(route));
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const garbage = fc.oneof(hostileText, fc.constantFrom(encode("x"), encode(null), encode([1]), encode({ s: 1, k: {} })));
  if (!real) return garbage;
  const attributes = Object.keys(real.k);
  const bentKey = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...attributes),
        fc.oneof(hostileText, fc.constantFrom("VERSION#", "HISTORY#", "MODEL#", "STAGE#Staging", "DATASET#", "ZZZZ", "A")),
      )
      .map(([name, value]) => ({ ...real.k, [name]: value })),
    fc.tuple(fc.constantFrom(...attributes), hostileValue).map(([name, value]) => ({ ...real.k, [name]: value })),
    fc.constantFrom(...attributes).map((name) => Object.fromEntries(Object.entries(real.k).filter(([n]) => n !== name))),
    fc.tuple(hostileKey, hostileText).map(([name, value]) => objectOf([...Object.entries(real.k), [name, value]])),
    fc.constant({}),
  );
  return fc.oneof({ weight: 3, arbitrary: bentKey.map((k) => encode({ s: real.s, k })) }, { weight: 1, arbitrary: garbage });
}

function queryArbitrary(route: RouteDefinition, calm: number): fc.Arbitrary<Record<string, string> | undefined> {
  const names = queryNames(route);
  const valueFor = (name: string) =>
    name === "cursor"
      ? forgedCursor(route)
      : plausible(
          ["1", "25", "Staging", "READY", "0.95", "1,2", "2", "models:/fraud_detector@champion", "2030-01-01T00:00:00Z"],
          hostileText,
          calm,
        );
  // A listing's cursor comes up as often as all its other parameters together.
  const name = names.includes("cursor")
    ? fc.oneof(fc.constant("cursor"), fc.constantFrom(...names))
    : names.length > 0
      ? fc.constantFrom(...names)
      : hostileText;
  const entry = fc.oneof(
    { weight: 4, arbitrary: name.chain((n) => valueFor(n).map((value) => [n, value] as [string, string])) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), hostileText), hostileText) },
  );
  return fc.option(fc.array(entry, { maxLength: 3 }).map(objectOf), { nil: undefined });
}

function bodyArbitrary(route: RouteDefinition, calm: number): fc.Arbitrary<{ body?: unknown; rawBody?: string }> {
  const shapedBody = route.request?.body ? fromSchema(jsonSchemaOf(route.request.body), calm) : hostileValue;
  return fc.oneof(
    { weight: 6, arbitrary: shapedBody.map((body) => ({ body })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("", "{", "[1,", '{"a":1}x', "null", '{"metrics":{"auc":1e999}}', '{"version":1e400}', '{"__proto__":{"admin":true}}')
        .map((rawBody) => ({ rawBody })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

/**
 * One request. `calm` is how many plausible values come per hostile one: a calm request is mostly
 * valid, so the one bad value in it reaches the use case and the store; a wild one is bad all over.
 */
function requestArbitrary(route: RouteDefinition) {
  return fc.constantFrom(30, 8, 2).chain((calm) => {
    const pathValue = (name: string) =>
      plausible(
        SEEDED_PATH[name] ?? ["x"],
        hostileText.filter((s) => s.length > 0),
        calm,
      );
    const path = fc
      .tuple(...pathNames(route).map((name) => pathValue(name).map((value) => [name, value] as [string, string])))
      .map(objectOf);
    const headers = fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ "idempotency-key": fc.oneof(hostileText, fc.uuid()) }) },
    );
    return fc.record({
      pathParameters: path,
      queryStringParameters: queryArbitrary(route, calm),
      payload: bodyArbitrary(route, calm),
      headers,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The properties

const countStatus = (status: number) => statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);

/** The MLflow-compatible routes answer `{ error_code, message }`, as MLflow's server does; the others the registry's error body. */
const mlflowErrorBody = z.object({ error_code: z.string(), message: z.string() });
function errorCodeOf(route: RouteDefinition, body: string | undefined): string | undefined {
  const json: unknown = JSON.parse(body ?? "null");
  if (isMlflowRouteKey(routeKey(route))) return z.safeParse(mlflowErrorBody, json).data?.error_code;
  return errorBody.safeParse(json).data?.error.code;
}

describe("hostile requests never get a 5xx, and a refused one changes nothing", () => {
  it.each((routes as readonly RouteDefinition[]).map((route) => ({ route, key: routeKey(route) })))(
    "$key",
    async ({ route }) => {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(route), async ({ pathParameters, queryStringParameters, payload, headers }) => {
          const response = await send(route, { routeKey: routeKey(route), pathParameters, queryStringParameters, ...payload, headers });
          const status = response.statusCode ?? 0;
          countStatus(status);
          expect(status, response.body).toBeLessThan(500);
          if (status >= 400) {
            expect(errorCodeOf(route, response.body), response.body).toMatch(
              isMlflowRouteKey(routeKey(route)) ? /^[A-Z_]+$/ : /^[A-Z]\w+$/,
            );
            expect(await registry.items()).toEqual(snapshot);
          } else if (isWriteRoute(route)) {
            snapshot = await registry.items();
          }
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED, path: PATH },
      );
    },
    60_000,
  );

  it("reached the use cases: some requests succeeded and some found nothing", () => {
    expect([...statusCounts].filter(([status]) => status < 300).length).toBeGreaterThan(0);
    expect(statusCounts.get(404) ?? 0).toBeGreaterThan(0);
  });
});

import { build, type Plugin } from "esbuild";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { besideBundleOf, functionBuildOptions, writeBesideBundle } from "../../infra/bundling";
import { openApiDocument } from "../../shared/http/openapi";
import { POWERTOOLS_IDEMPOTENCY_MODULE } from "../../shared/http/idempotency-key";
import * as powertoolsIdempotency from "../../shared/http/powertools-idempotency";
import { apiEvent, lambdaContext } from "../support/fixtures";
import { deployedBundle, deployedHandler, loadHandler } from "../support/function-bundle";
import * as z from "../../shared/zod";
import { FUNCTIONS, isWriteRoute, routeKey, routes, type FunctionName, type Grant } from "../../shared/routes";

/** Modules a handler loads with import() load on the first request that needs them, not at cold start. */
const lazyImportsLeftOut: Plugin = {
  name: "lazy-imports-left-out",
  setup(build) {
    build.onResolve({ filter: /./ }, (args) => (args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined));
  },
};

/** What a function's cold start loads: its deployed bundle without what it imports lazily. */
async function coldStartCode(fn: FunctionName): Promise<string> {
  const { outputFiles } = await build({
    ...functionBuildOptions,
    entryPoints: [`functions/${fn}/handler.ts`],
    write: false,
    plugins: [lazyImportsLeftOut],
  });
  return outputFiles[0]?.text ?? "";
}

/** The project modules and packages a function's deployed bundle holds, lazily imported ones included. */
async function bundledInputs(fn: FunctionName | "publisher"): Promise<string[]> {
  const { metafile } = await build({ ...functionBuildOptions, entryPoints: [`functions/${fn}/handler.ts`], write: false, metafile: true });
  return Object.keys(metafile.inputs);
}

type BundledFunction = FunctionName | "publisher" | "verifier" | "housekeeping";

/** A function's whole deployed bundle, lazily imported code included. */
async function bundledCode(fn: BundledFunction): Promise<string> {
  const { outputFiles } = await build({ ...functionBuildOptions, entryPoints: [`functions/${fn}/handler.ts`], write: false });
  return outputFiles[0]?.text ?? "";
}

const POWERTOOLS_IDEMPOTENCY = "node_modules/@aws-lambda-powertools/idempotency/";

/** The routes whose definitions (and so whose schemas) a bundle holds, found by their operationId. */
function routesIn(code: string): string[] {
  const operationIds = new Set([...code.matchAll(/operationId:"(\w+)"/g)].map((match) => match[1]));
  return routes.filter((route) => operationIds.has(route.operationId)).map(routeKey);
}

const routesOf = (fn: FunctionName) => routes.filter((route) => route.function === fn).map(routeKey);
const hasWriteRoutes = (fn: FunctionName) => routes.some((route) => route.function === fn && isWriteRoute(route));
const writers = (Object.keys(FUNCTIONS) as FunctionName[]).filter(hasWriteRoutes);
const readOnly = (Object.keys(FUNCTIONS) as FunctionName[]).filter((fn) => !hasWriteRoutes(fn));

const apiFunctions = Object.keys(FUNCTIONS) as FunctionName[];

const noTaskSenders = (Object.keys(FUNCTIONS) as FunctionName[]).filter(
  (fn) => !(FUNCTIONS[fn].grants as readonly Grant[]).includes("sendVerificationTasks"),
);

const bundlesDir = join(process.cwd(), ".registry", "function-bundles");

/**
 * The schemas zod constructs while `act` runs (it hands each to its post-processor hook), a bundle's
 * copy of zod included, but the `z.onFirstUse` wrappers: those hold only how to build a schema.
 */
async function schemasBuiltDuring(act: () => unknown): Promise<number> {
  let built = 0;
  const count = (schema: unknown) => {
    if (schema instanceof z.core.$ZodType && !(schema instanceof z.core.$ZodLazy)) built++;
  };
  z.config({ postProcessor: count });
  try {
    await act();
  } finally {
    z.config({ postProcessor: undefined });
  }
  return built;
}

// A bundle loaded here reads its settings as a deployed function does; unit test files share a process: leave nothing behind.
beforeAll(async () => {
  await mkdir(bundlesDir, { recursive: true });
});
beforeEach(() => {
  vi.stubEnv("TABLE_NAME", "registry-unit");
  vi.stubEnv("ROLE_BINDINGS", JSON.stringify([{ pattern: "*", roles: ["reader"] }]));
});
afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await rm(bundlesDir, { recursive: true, force: true });
});

describe("a function's bundle", () => {
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "builds the %s function's own routes at cold start, and no other function's",
    async (fn) => {
      const loaded = routesIn(await coldStartCode(fn));

      expect(loaded.sort()).toEqual(routesOf(fn).sort());
    },
  );

  it.each(noTaskSenders)("does not load the SQS client in the %s function, which sends no verification task", async (fn) => {
    expect(await coldStartCode(fn)).not.toContain('require("@aws-sdk/client-sqs")');
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "does not bundle Powertools idempotency in the %s function, lazily imported code included",
    async (fn) => {
      const inputs = await bundledInputs(fn);

      expect(inputs.filter((input) => input.includes(POWERTOOLS_IDEMPOTENCY))).toEqual([]);
    },
  );

  it.each(writers)("ships Powertools idempotency beside the %s function's bundle, whose write routes take an Idempotency-Key", (fn) => {
    expect(besideBundleOf(fn)).toContain("idempotency");
  });

  it.each(readOnly)("ships no Powertools idempotency beside the %s function's bundle, which has no write route", (fn) => {
    expect(besideBundleOf(fn)).not.toContain("idempotency");
  });

  it("builds the module beside a bundle with everything the registry's idempotency uses of Powertools", async () => {
    const dir = await mkdtemp(join(bundlesDir, "idempotency-"));
    await writeBesideBundle(dir, ["idempotency"]);

    const beside = createRequire(import.meta.url)(join(dir, POWERTOOLS_IDEMPOTENCY_MODULE)) as Record<string, unknown>;

    for (const name of Object.keys(powertoolsIdempotency)) expect(typeof beside[name], name).toBe("function");
  });

  /** Every EMF document Powertools Metrics prints names its metrics under this key. */
  const EMF_METRICS_KEY = "CloudWatchMetrics";
  const everyFunction: BundledFunction[] = [...apiFunctions, "publisher", "verifier", "housekeeping"];

  it.each(everyFunction)("does not bundle Powertools Metrics in the %s function, which loads it from Powertools' layer", async (fn) => {
    expect(await bundledCode(fn)).not.toContain(EMF_METRICS_KEY);
  });

  it("answers from the query function's bundle with the settings the stacks give: tracing on and a metrics namespace", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "ModelRegistry");
    vi.stubEnv("POWERTOOLS_TRACE_ENABLED", "true");
    vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
    const handler = await deployedHandler("query", bundlesDir);

    const response = await handler(apiEvent({ routeKey: "GET /health" }), lambdaContext);

    expect(response.statusCode).toBe(200);
  });

  it("loads no Powertools Metrics in the query function's cold start and first read, which record no metric, a namespace set", async () => {
    const probe = `
      const { handler } = require(${JSON.stringify(join(bundlesDir, "query-probe.cjs"))});
      handler(${JSON.stringify(apiEvent({ routeKey: "GET /health" }))}, { awsRequestId: "probe", functionName: "probe", getRemainingTimeInMillis: () => 10000 })
        .then((answer) => process.stdout.write(JSON.stringify({ status: answer.statusCode, loaded: Object.keys(require.cache).filter((path) => path.includes("@aws-lambda-powertools/metrics")) })));`;
    await build({
      ...functionBuildOptions,
      entryPoints: ["functions/query/handler.ts"],
      outfile: join(bundlesDir, "query-probe.cjs"),
      logLevel: "silent",
    });

    // A process of its own: this one has loaded Metrics for other tests.
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", probe], {
      env: { ...process.env, POWERTOOLS_METRICS_NAMESPACE: "ModelRegistry" },
    });

    expect(JSON.parse(stdout)).toEqual({ status: 200, loaded: [] });
  });

  it("flushes the publisher's metrics as EMF, with Metrics loaded from Powertools' layer (node_modules here), when a namespace is set", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "ModelRegistry");
    vi.stubEnv("DLQ_URL", "http://127.0.0.1:9/queue/dead-letters");
    const outfile = join(await mkdtemp(join(bundlesDir, "publisher-")), "index.cjs");
    await build({ ...functionBuildOptions, entryPoints: ["functions/publisher/handler.ts"], outfile, logLevel: "silent" });
    const { handler } = createRequire(import.meta.url)(outfile) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
    const printed: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((line) => printed.push(String(line)) > 0);

    try {
      await handler({ Records: [] }, lambdaContext);
    } finally {
      stdout.mockRestore();
    }

    const emf = printed.filter((line) => line.includes(EMF_METRICS_KEY));
    expect(emf).toHaveLength(1);
    expect(JSON.parse(emf[0] ?? "")._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "ModelRegistry",
      Metrics: expect.arrayContaining([{ Name: "EventsRetried", Unit: "Count" }]),
    });
  });

  /**
   * A distinctive query (or message) of each store module only some functions build (shared/store/),
   * with the functions whose composition roots build it: every other function's bundle leaves it out.
   */
  const storeModules: [module: string, query: string, carriedBy: BundledFunction[]][] = [
    ["Listings: versions by a key metric", "versions-by:", ["query"]],
    [
      "PromotionReads: the move a rollback undoes",
      "(#action = :changed AND toStage = :stage) OR #action = :deleted",
      ["query", "lifecycle", "housekeeping"],
    ],
    ["RetentionRuns: housekeeping's queue", "gsi1pk = :retention", ["housekeeping"]],
    [
      "RemovalReads: a deleted model's leftovers",
      "NOT (#entity IN (:model, :history, :checkpoint, :turnTickets))",
      ["artifacts", "housekeeping"],
    ],
    ["KeyMetricBackfill: the versions' metrics", "#version, #metrics", ["catalog"]],
    [
      "ArtifactBucket: assembling a multipart upload",
      "S3 did not assemble the parts",
      ["artifacts", "catalog", "verifier", "housekeeping"],
    ],
    ["ArtifactDownloads: a download's file name", "attachment; filename=", ["downloads"]],
    ["ArtifactReads: an object deleted while read", "is no longer in the bucket", ["verifier"]],
  ];

  it.each(
    storeModules.flatMap(([module, query, carriedBy]) => everyFunction.map((fn) => [module, fn, query, carriedBy.includes(fn)] as const)),
  )("bundles %s in the %s function only if its composition root builds it", async (_module, fn, query, carried) => {
    expect((await bundledCode(fn)).includes(query)).toBe(carried);
  });

  /** A distinctive description of schemas only some functions' routes use, with those functions: every other bundle leaves the schema out. */
  const routeSchemas: [schema: string, description: string, usedBy: BundledFunction[]][] = [
    ["the registration body", "Where the bytes live when the registry does not hold them", ["catalog"]],
    ["a model's key-metric declarations", "Metrics the registry indexes", ["catalog"]],
    ["a version deletion's answer", "Whether an object of the version went too", ["artifacts"]],
    ["a multipart upload's part URLs", "A URL for each declared part", ["catalog", "artifacts"]],
  ];

  it.each(
    routeSchemas.flatMap(([schema, description, usedBy]) =>
      everyFunction.map((fn) => [schema, fn, description, usedBy.includes(fn)] as const),
    ),
  )("bundles %s in the %s function only if its routes use it", async (_schema, fn, description, used) => {
    expect((await bundledCode(fn)).includes(description)).toBe(used);
  });

  it.each(everyFunction)(
    "parses the versions list's filters (GET /models/{name}/versions) in the %s function only if it is the query function",
    async (fn) => {
      expect((await bundledCode(fn)).includes("minMetric./maxMetric./tag. filters")).toBe(fn === "query");
    },
  );

  /** Writes only the verifier makes: counting a file on its version's tally, and writing a chunked manifest file's first progress. */
  const verifierWrites = ["SET counted = :true", "attribute_not_exists(pk) OR startedAt < :startedAt"];

  it.each(apiFunctions)("leaves the verifier's writes of a file's progress out of the %s function", async (fn) => {
    const code = await bundledCode(fn);

    for (const write of verifierWrites) expect(code).not.toContain(write);
  });

  it("bundles the writes of a file's progress in the verifier", async () => {
    const code = await bundledCode("verifier");

    for (const write of verifierWrites) expect(code).toContain(write);
  });

  /** Queries only the query function makes: a partition of the index (a stage's, a run's, a dataset's versions), a model's history about one version. */
  const queryListings = ["gsi1pk = :partition", "#previous = "];

  it.each(apiFunctions.filter((fn) => fn !== "query"))("leaves the query function's listings out of the %s function", async (fn) => {
    const code = await bundledCode(fn);

    for (const listing of queryListings) expect(code).not.toContain(listing);
  });

  it("bundles the listings in the query function", async () => {
    const code = await bundledCode("query");

    for (const listing of queryListings) expect(code).toContain(listing);
  });

  it("bundles neither the API's nor the stored items' schemas in the publisher, which announces history items from the stream", async () => {
    const inputs = await bundledInputs("publisher");

    expect(inputs.filter((input) => /^shared\/(schemas|store\/entities)\//.test(input))).toEqual([]);
  });

  it("leaves the event schema's documentation out of the publisher, which validates history items with that schema", async () => {
    const code = await bundledCode("publisher");

    expect(code).toContain("MalformedHistoryItem");
    expect(code).not.toContain("consumers deduplicate on it");
  });

  it.each(apiFunctions)(
    "builds at cold start in the %s function no schema: its settings are read without zod, GET /health has no query to refuse, the routes' schemas are built on first use",
    async (fn) => {
      const bundle = await deployedBundle(fn, bundlesDir);

      const built = await schemasBuiltDuring(() => loadHandler(bundle)(apiEvent({ routeKey: "GET /health" }), lambdaContext));

      expect(built).toBe(0);
    },
  );

  it("bundles only the query function's own routes, what it loads on a first request included: the OpenAPI document is not built there", async () => {
    expect(routesIn(await bundledCode("query")).sort()).toEqual(routesOf("query").sort());
  });

  it("serves from the query function's bundle the OpenAPI document the route table builds, written beside it", async () => {
    const handler = await deployedHandler("query", bundlesDir);

    const response = await handler(apiEvent({ routeKey: "GET /openapi.json" }), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? "")).toEqual(openApiDocument());
  });
});

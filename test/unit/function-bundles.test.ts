import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";
import { functionBuildOptions } from "../../infra/bundling";
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
async function bundledInputs(fn: FunctionName): Promise<string[]> {
  const { metafile } = await build({ ...functionBuildOptions, entryPoints: [`functions/${fn}/handler.ts`], write: false, metafile: true });
  return Object.keys(metafile.inputs);
}

const POWERTOOLS_IDEMPOTENCY = "node_modules/@aws-lambda-powertools/idempotency/";

/** The routes whose definitions (and so whose schemas) a bundle holds, found by their operationId. */
function routesIn(code: string): string[] {
  const operationIds = new Set([...code.matchAll(/operationId:"(\w+)"/g)].map((match) => match[1]));
  return routes.filter((route) => operationIds.has(route.operationId)).map(routeKey);
}

const hasWriteRoutes = (fn: FunctionName) => routes.some((route) => route.function === fn && isWriteRoute(route));
const writers = (Object.keys(FUNCTIONS) as FunctionName[]).filter(hasWriteRoutes);
const readOnly = (Object.keys(FUNCTIONS) as FunctionName[]).filter((fn) => !hasWriteRoutes(fn));

const noTaskSenders = (Object.keys(FUNCTIONS) as FunctionName[]).filter(
  (fn) => !(FUNCTIONS[fn].grants as readonly Grant[]).includes("sendVerificationTasks"),
);

describe("a function's bundle", () => {
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "builds the %s function's own routes at cold start, and no other function's",
    async (fn) => {
      const own = routes.filter((route) => route.function === fn).map(routeKey);

      const loaded = routesIn(await coldStartCode(fn));

      expect(loaded.sort()).toEqual(own.sort());
    },
  );

  it.each(noTaskSenders)("does not load the SQS client in the %s function, which sends no verification task", async (fn) => {
    expect(await coldStartCode(fn)).not.toContain('require("@aws-sdk/client-sqs")');
  });

  it.each(readOnly)("does not bundle Powertools idempotency in the %s function, which has no write route", async (fn) => {
    const inputs = await bundledInputs(fn);

    expect(inputs.filter((input) => input.includes(POWERTOOLS_IDEMPOTENCY))).toEqual([]);
  });

  it.each(writers)("bundles Powertools idempotency in the %s function, whose write routes take an Idempotency-Key", async (fn) => {
    const inputs = await bundledInputs(fn);

    expect(inputs.some((input) => input.includes(POWERTOOLS_IDEMPOTENCY))).toBe(true);
  });

  it("still serves the whole table's OpenAPI document from the query function, loaded on its first request", async () => {
    const { outputFiles } = await build({ ...functionBuildOptions, entryPoints: ["functions/query/handler.ts"], write: false });

    expect(routesIn(outputFiles[0]?.text ?? "").sort()).toEqual(routes.map(routeKey).sort());
  });
});

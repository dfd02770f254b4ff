import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";
import { functionBuildOptions } from "../../infra/bundling";
import { FUNCTIONS, routeKey, routes, type FunctionName, type Grant } from "../../shared/routes";

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

/** The routes whose definitions (and so whose schemas) a bundle holds, found by their operationId. */
function routesIn(code: string): string[] {
  const operationIds = new Set([...code.matchAll(/operationId:"(\w+)"/g)].map((match) => match[1]));
  return routes.filter((route) => operationIds.has(route.operationId)).map(routeKey);
}

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

  it("still serves the whole table's OpenAPI document from the query function, loaded on its first request", async () => {
    const { outputFiles } = await build({ ...functionBuildOptions, entryPoints: ["functions/query/handler.ts"], write: false });

    expect(routesIn(outputFiles[0]?.text ?? "").sort()).toEqual(routes.map(routeKey).sort());
  });
});

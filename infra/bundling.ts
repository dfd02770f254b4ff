import { build, type BuildOptions } from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeOpenApiAsset } from "../shared/http/openapi";
import { POWERTOOLS_IDEMPOTENCY_MODULE } from "../shared/http/idempotency-key";
import { isWriteRoute, routeKey, routes, type FunctionName } from "../shared/routes";

/**
 * How every function is bundled: the CDK construct and `npm run bench` both read this, so the
 * measured bundle is the deployed one. CommonJS loads the runtime's CommonJS AWS SDK without
 * Node's ESM-to-CJS export scan (tens of milliseconds of cold start); ESM sources of our
 * dependencies are still preferred for tree-shaking.
 */
export const functionBundling = {
  format: "cjs",
  target: "node22",
  platform: "node",
  mainFields: ["module", "main"],
  minify: true,
  /** The Node.js 22 runtime provides the AWS SDK v3. */
  external: ["@aws-sdk/*"],
  /**
   * package.json `imports` picks what a bundle does at build time instead: `#openapi-document`
   * reads an asset, `#powertools-idempotency` a module of its own; both are files beside the bundle.
   */
  conditions: ["function-bundle"],
} as const;

/** The same settings as esbuild's options: `npm run bench` and the tests build what the construct deploys. */
export const functionBuildOptions = {
  ...functionBundling,
  bundle: true,
  mainFields: [...functionBundling.mainFields],
  external: [...functionBundling.external],
  conditions: [...functionBundling.conditions],
} satisfies BuildOptions;

/**
 * Files a function's bundle reads beside it, each only on the first request that needs it (a
 * CommonJS bundle inlines what it imports lazily, so a file of its own is what keeps it out):
 * - `openapi`: the document, generated from the route table, for `GET /openapi.json`;
 * - `idempotency`: Powertools idempotency, for a write route's first request with an Idempotency-Key.
 */
export const BESIDE_BUNDLE = ["openapi", "idempotency"] as const;
export type BesideBundle = (typeof BESIDE_BUNDLE)[number];
export const isBesideBundle = (file: string): file is BesideBundle => BESIDE_BUNDLE.some((known) => known === file);

const ownRoutes = (fn: FunctionName) => routes.filter((route) => route.function === fn);

/** What the function's routes read beside its bundle: the construct deploys, and the bench and tests build, exactly these. */
export function besideBundleOf(fn: FunctionName): BesideBundle[] {
  const beside: BesideBundle[] = [];
  if (ownRoutes(fn).some((route) => routeKey(route) === "GET /openapi.json")) beside.push("openapi");
  if (ownRoutes(fn).some(isWriteRoute)) beside.push("idempotency");
  return beside;
}

const writers: Record<BesideBundle, (bundleDir: string) => Promise<void>> = {
  openapi: writeOpenApiAsset,
  idempotency: async (bundleDir) => {
    await build({
      ...functionBuildOptions,
      entryPoints: [fileURLToPath(new URL("../shared/http/powertools-idempotency.ts", import.meta.url))],
      outfile: join(bundleDir, POWERTOOLS_IDEMPOTENCY_MODULE),
      logLevel: "warning",
    });
  },
};

/** The last bundling step of a function: each file its bundle reads beside it (shared/http/openapi-asset.ts, powertools-idempotency-beside.ts). */
export async function writeBesideBundle(bundleDir: string, beside: readonly BesideBundle[]): Promise<void> {
  await Promise.all(beside.map((file) => writers[file](bundleDir)));
}

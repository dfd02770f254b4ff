import type { BuildOptions } from "esbuild";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openApiDocument } from "../shared/http/openapi";
import { OPENAPI_ASSET } from "../shared/http/openapi-asset";

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
  /** package.json `imports` picks what a bundle does at build time instead: `#openapi-document` reads an asset. */
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
 * The last bundling step of the function that serves `GET /openapi.json`: the document, generated
 * from the route table, beside its bundle (shared/http/openapi-asset.ts reads it).
 */
export async function writeOpenApiAsset(bundleDir: string): Promise<void> {
  await writeFile(join(bundleDir, OPENAPI_ASSET), JSON.stringify(openApiDocument()));
}

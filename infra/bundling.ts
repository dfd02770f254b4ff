import type { BuildOptions } from "esbuild";

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
} as const;

/** The same settings as esbuild's options: `npm run bench` and the tests build what the construct deploys. */
export const functionBuildOptions = {
  ...functionBundling,
  bundle: true,
  mainFields: [...functionBundling.mainFields],
  external: [...functionBundling.external],
} satisfies BuildOptions;

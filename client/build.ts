import { build } from "esbuild";
import { fileURLToPath } from "node:url";

/**
 * `npm run build:cli`: the CLI and everything it imports in one file, dist/registry.mjs, so a CI
 * job or a training cluster runs it with Node.js alone (`node registry.mjs push …`), without
 * installing this repository's dependencies. `tsx client/build.ts <outfile>` writes it elsewhere.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

await build({
  absWorkingDir: repoRoot,
  entryPoints: ["client/bin.ts"],
  outfile: process.argv[2] ?? "dist/registry.mjs",
  bundle: true,
  // ESM for the entry point's top-level await.
  format: "esm",
  platform: "node",
  target: "node20",
  mainFields: ["module", "main"],
  minify: true,
  // Bundled CommonJS dependencies call require() for Node's own modules.
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});

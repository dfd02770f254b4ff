import { build } from "esbuild";
import { rm } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run build:cli`: the CLI and everything it imports, as dist/registry.mjs and the chunks it
 * loads from dist/chunks/, so a CI job or a training cluster runs it with Node.js alone (copy
 * dist/, then `node dist/registry.mjs push …`), without installing this repository's dependencies.
 * The entry holds the command line only; each command's code (the SDK with the route table's
 * schemas, the transfers, the AWS signer) is a chunk loaded when the command runs, so
 * `--version` and `--help` compile a fraction of the code. `tsx client/build.ts <file>` writes it elsewhere.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const entry = process.argv[2] ?? "dist/registry.mjs";
const outdir = dirname(entry);

// Chunk names carry a content hash: those of an earlier build would pile up.
await rm(join(repoRoot, outdir, "chunks"), { recursive: true, force: true });
await build({
  absWorkingDir: repoRoot,
  entryPoints: ["client/bin.ts"],
  outdir,
  entryNames: basename(entry, extname(entry)),
  chunkNames: "chunks/[name]-[hash]",
  outExtension: { ".js": extname(entry) || ".mjs" },
  bundle: true,
  splitting: true,
  // ESM for the entry point's top-level await, and for splitting.
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

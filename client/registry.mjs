#!/usr/bin/env node
// The `registry` bin. In a checkout with its dev dependencies it runs the TypeScript sources
// through tsx, so it never runs a stale build; without them (a CI job that skipped them), the
// build of `npm run build:cli` (dist/). docs/client.md, Install and run.
let tsx;
try {
  tsx = await import("tsx/esm/api");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
}
if (tsx) {
  tsx.register();
  await import("./bin.ts");
} else {
  await import("../dist/registry.mjs");
}

import { BESIDE_BUNDLE, isBesideBundle, writeBesideBundle } from "./bundling";

// `node --import tsx infra/write-beside-bundle.ts <bundle directory> <openapi|idempotency>...`: the construct's step after esbuild (infra/registry-function.ts).
const [bundleDir, ...files] = process.argv.slice(2);
const beside = files.filter(isBesideBundle);
if (!bundleDir || beside.length < files.length) {
  throw new Error(`Usage: node --import tsx infra/write-beside-bundle.ts <bundle directory> <${BESIDE_BUNDLE.join("|")}>...`);
}
await writeBesideBundle(bundleDir, beside);

import { writeOpenApiAsset } from "./bundling";

// `node --import tsx infra/write-openapi-asset.ts <bundle directory>`: the construct's step after esbuild (infra/registry-function.ts).
const [bundleDir] = process.argv.slice(2);
if (!bundleDir) throw new Error("Usage: node --import tsx infra/write-openapi-asset.ts <bundle directory>");
await writeOpenApiAsset(bundleDir);

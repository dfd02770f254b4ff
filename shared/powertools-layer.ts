import { createRequire } from "node:module";
import { join } from "node:path";

/**
 * Loads a module of Powertools' public layer, for a utility the bundles leave out (shared/tracing.ts,
 * shared/telemetry.ts). In Lambda the layer's modules are on NODE_PATH, elsewhere node_modules stands
 * in for it; both are found from the working directory, not from the bundle, which holds no copy.
 * A utility loaded here is loaded only by a process that uses it: bundled it would weigh on every
 * function, and loaded always, on every cold start (bench/bundles.ts measures it: "deployed").
 */
export function loadFromPowertoolsLayer<M>(module: string): M {
  return createRequire(join(process.cwd(), "index.js"))(module) as M;
}

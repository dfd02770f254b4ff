import { createRequire } from "node:module";
import { join } from "node:path";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import type { MiddlewareObj } from "@middy/core";
import type { RegistryConfig } from "./config";
import { SERVICE_NAME } from "./logger";

/** X-Ray tracing of one process: its invocations as segments, each call of a captured SDK client as a subsegment. */
export interface ProcessTracing {
  capture<C>(client: C): C;
  readonly middleware: MiddlewareObj[];
}

export const NO_TRACING: ProcessTracing = { capture: (client) => client, middleware: [] };

/**
 * Powertools Tracer when the config turns tracing on (the deployed functions, whose X-Ray tracing
 * is active); otherwise nothing. The tracer and the X-Ray SDK under it are not bundled: in Lambda
 * they come from the Powertools layer (on NODE_PATH), elsewhere from node_modules, and only a
 * process that traces loads them: bundled they would add over 100 KiB to every function, and
 * loaded always, their cost to every cold start (bench/bundles.ts measures it: "traced").
 */
export function createTracing(config: Pick<RegistryConfig, "tracing">): ProcessTracing {
  if (!config.tracing) return NO_TRACING;
  const load = createRequire(join(process.cwd(), "index.js"));
  const { Tracer: PowertoolsTracer } = load("@aws-lambda-powertools/tracer") as { Tracer: typeof Tracer };
  const middleware = load("@aws-lambda-powertools/tracer/middleware") as { captureLambdaHandler: typeof captureLambdaHandler };
  const tracer = new PowertoolsTracer({ serviceName: SERVICE_NAME, enabled: true });
  return {
    capture: (client) => tracer.captureAWSv3Client(client),
    middleware: [middleware.captureLambdaHandler(tracer, { captureResponse: false })],
  };
}

let processTracing: ProcessTracing | undefined;

/** The one tracer of this process (Powertools keeps one per process): built by the first client or handler that asks. */
export function tracingOf(config: Pick<RegistryConfig, "tracing">): ProcessTracing {
  processTracing ??= createTracing(config);
  return processTracing;
}

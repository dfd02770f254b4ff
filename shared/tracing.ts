import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import type { MiddlewareObj } from "@middy/core";
import type { RegistryConfig } from "./config";
import { SERVICE_NAME } from "./logger";
import { loadFromPowertoolsLayer } from "./powertools-layer";

/** X-Ray tracing of one process: its invocations as segments, each call of a captured SDK client as a subsegment. */
export interface ProcessTracing {
  capture<C>(client: C): C;
  readonly middleware: MiddlewareObj[];
}

export const NO_TRACING: ProcessTracing = { capture: (client) => client, middleware: [] };

/**
 * Powertools Tracer when the config turns tracing on (the deployed functions, whose X-Ray tracing
 * is active); otherwise nothing. The tracer and the X-Ray SDK under it come from Powertools' layer
 * (./powertools-layer.ts): bundled they would add over 100 KiB to every function.
 */
export function createTracing(config: Pick<RegistryConfig, "tracing">): ProcessTracing {
  if (!config.tracing) return NO_TRACING;
  const { Tracer: PowertoolsTracer } = loadFromPowertoolsLayer<{ Tracer: typeof Tracer }>("@aws-lambda-powertools/tracer");
  const middleware = loadFromPowertoolsLayer<{ captureLambdaHandler: typeof captureLambdaHandler }>(
    "@aws-lambda-powertools/tracer/middleware",
  );
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

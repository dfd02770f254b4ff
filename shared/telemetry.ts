import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { MiddlewareObj } from "@middy/core";
import type { RegistryConfig } from "./config";
import { SERVICE_NAME } from "./logger";
import { METRIC_UNITS, NO_METRICS, type MetricsRecorder } from "./metrics";
import { loadFromPowertoolsLayer } from "./powertools-layer";

/** The process's metrics, and the middleware that flushes them as EMF after each invocation. */
export interface ProcessMetrics extends MetricsRecorder {
  readonly flushing: MiddlewareObj[];
}

/**
 * Powertools Metrics when the config names a namespace (the deployed functions); otherwise nothing
 * is recorded or printed, and nothing loaded. Metrics comes from Powertools' layer
 * (./powertools-layer.ts), as the Tracer does, on the first metric a process records: most
 * invocations (reads) record none, and their function's cold start loads none of it. Its middy
 * middleware flushes after each invocation once loaded. An invocation that records nothing is
 * normal here: only errors of the metrics utility itself are logged.
 */
export function createMetrics(config: Pick<RegistryConfig, "metricsNamespace">, logger: Logger): ProcessMetrics {
  const namespace = config.metricsNamespace;
  if (!namespace) return { ...NO_METRICS, flushing: [] };
  let loaded: { metrics: Metrics; flushing: MiddlewareObj } | undefined;
  const load = () => (loaded ??= powertoolsMetrics(namespace, logger));
  return {
    record: (name, value = 1) => load().metrics.addMetric(name, METRIC_UNITS[name], value),
    flushing: [{ after: (request) => loaded?.flushing.after?.(request), onError: (request) => loaded?.flushing.onError?.(request) }],
  };
}

/** Powertools Metrics and the middy middleware that flushes it, from Powertools' layer. */
function powertoolsMetrics(namespace: string, logger: Logger): { metrics: Metrics; flushing: MiddlewareObj } {
  const { Metrics: PowertoolsMetrics } = loadFromPowertoolsLayer<{ Metrics: typeof Metrics }>("@aws-lambda-powertools/metrics");
  const middleware = loadFromPowertoolsLayer<{ logMetrics: typeof logMetrics }>("@aws-lambda-powertools/metrics/middleware");
  const metrics = new PowertoolsMetrics({ namespace, serviceName: SERVICE_NAME, logger: logger.createChild({ logLevel: "ERROR" }) });
  return { metrics, flushing: middleware.logMetrics(metrics) };
}

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
 * (./powertools-layer.ts), as the Tracer does. An invocation that records nothing is normal here:
 * only errors of the metrics utility itself are logged.
 */
export function createMetrics(config: Pick<RegistryConfig, "metricsNamespace">, logger: Logger): ProcessMetrics {
  if (!config.metricsNamespace) return { ...NO_METRICS, flushing: [] };
  const { Metrics: PowertoolsMetrics } = loadFromPowertoolsLayer<{ Metrics: typeof Metrics }>("@aws-lambda-powertools/metrics");
  const middleware = loadFromPowertoolsLayer<{ logMetrics: typeof logMetrics }>("@aws-lambda-powertools/metrics/middleware");
  const metrics = new PowertoolsMetrics({
    namespace: config.metricsNamespace,
    serviceName: SERVICE_NAME,
    logger: logger.createChild({ logLevel: "ERROR" }),
  });
  return {
    record: (name, value = 1) => metrics.addMetric(name, METRIC_UNITS[name], value),
    flushing: [middleware.logMetrics(metrics)],
  };
}

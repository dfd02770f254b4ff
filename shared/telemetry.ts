import type { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { MiddlewareObj } from "@middy/core";
import type { RegistryConfig } from "./config";
import { SERVICE_NAME } from "./logger";
import { METRIC_UNITS, NO_METRICS, type MetricsRecorder } from "./metrics";

/** The process's metrics, and the middleware that flushes them as EMF after each invocation. */
export interface ProcessMetrics extends MetricsRecorder {
  readonly flushing: MiddlewareObj[];
}

/**
 * Powertools Metrics when the config names a namespace (the deployed functions); otherwise nothing
 * is recorded or printed. An invocation that records nothing is normal here: only errors of the
 * metrics utility itself are logged.
 */
export function createMetrics(config: Pick<RegistryConfig, "metricsNamespace">, logger: Logger): ProcessMetrics {
  if (!config.metricsNamespace) return { ...NO_METRICS, flushing: [] };
  const metrics = new Metrics({
    namespace: config.metricsNamespace,
    serviceName: SERVICE_NAME,
    logger: logger.createChild({ logLevel: "ERROR" }),
  });
  return {
    record: (name, value = 1) => metrics.addMetric(name, METRIC_UNITS[name], value),
    flushing: [logMetrics(metrics)],
  };
}

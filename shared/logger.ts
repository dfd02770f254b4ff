import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import type { RegistryConfig } from "./config";

/**
 * The process's structured logger, built once by its composition root at the configured level
 * (Lambda's own application log level, when set, takes precedence in Powertools).
 */
/** The service name on every function's logs and metrics. */
export const SERVICE_NAME = "model-registry";

export function createLogger(config: Pick<RegistryConfig, "logLevel">): Logger {
  // loadConfig accepts Powertools' level names only; a hand-built config may carry any case, as Powertools does.
  return new Logger({ serviceName: SERVICE_NAME, logLevel: config.logLevel as LogLevel });
}

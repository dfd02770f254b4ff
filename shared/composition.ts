import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { loadConfig, type RegistryConfig } from "./config";
import { createDocumentClient, createDynamoDbClient } from "./clients";
import { createLogger } from "./logger";
import { NO_METRICS, type MetricName, type MetricsRecorder } from "./metrics";
import type { ChangeLog, ChangeReport } from "./store/model-change";
import { Listings } from "./store/listings";
import { RegistryStore } from "./store/registry-store";
import type { ListingDeps, RegistryDeps } from "./use-cases/deps";

/**
 * Builds the use cases' dependencies from config: the same for every Lambda, the local server and tests.
 * Pass the process's DynamoDB client, logger and metrics to share them; contention and conflicts of
 * model changes are logged and counted there.
 */
export function buildRegistryDeps(
  config: RegistryConfig = loadConfig(),
  dynamodb: DynamoDBClient = createDynamoDbClient(config),
  logger: Logger = createLogger(config),
  metrics: MetricsRecorder = NO_METRICS,
): RegistryDeps {
  return {
    store: new RegistryStore(createDocumentClient(config, dynamodb), config.tableName, () => new Date(), randomUUID, {
      log: measuredChangeLog(logger, metrics),
    }),
    namingPolicy: config.namingPolicy,
  };
}

/** The query function's dependencies: the registry's, and the pages only it lists. */
export function buildListingDeps(...resources: Parameters<typeof buildRegistryDeps>): ListingDeps {
  const [config = loadConfig(), dynamodb = createDynamoDbClient(config), ...processResources] = resources;
  return {
    ...buildRegistryDeps(config, dynamodb, ...processResources),
    listings: new Listings(createDocumentClient(config, dynamodb), config.tableName),
  };
}

const CHANGE_METRICS: Record<ChangeReport["outcome"], MetricName> = {
  retry: "ModelChangeRetries",
  conflict: "ModelChangeConflicts",
  gaveUp: "ModelChangeGaveUp",
};

/** The commit engine's reports, logged at their level and counted by how the attempt ended. */
export function measuredChangeLog(logger: Pick<Logger, "info" | "warn">, metrics: MetricsRecorder): ChangeLog {
  const report = (level: "info" | "warn") => (message: string, change: ChangeReport) => {
    logger[level](message, change);
    metrics.record(CHANGE_METRICS[change.outcome]);
  };
  return { info: report("info"), warn: report("warn") };
}

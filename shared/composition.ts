import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { loadConfig, type RegistryConfig } from "./config";
import { createDocumentClient, createDynamoDbClient } from "./clients";
import { createLogger } from "./logger";
import { NO_METRICS, type MetricName, type MetricsRecorder } from "./metrics";
import type { ChangeLog, ChangeReport } from "./store/model-change";
import type { DepsBuilder } from "./http/api-handler";
import { RegistryStore } from "./store/registry-store";
import type { RegistryDeps } from "./use-cases/deps";

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

/** The process's resources a function's dependencies are built from (its composition root's, shared/http/api-handler.ts). */
export type ProcessResources = Parameters<DepsBuilder<unknown>>;

/** A store module of its own (shared/store/): reads only some functions make, apart from the registry store. */
type StoreModule<T> = new (dynamo: DynamoDBDocumentClient, tableName: string) => T;

/**
 * The store modules a function uses besides the registry store, on its process's DynamoDB client.
 * Each function's builder lives in a module of its own (query-composition.ts, …): a bundle holds
 * every module its imports reach, and a store module's entities build their schemas at load.
 */
export function storeModules<M>(config: RegistryConfig, dynamodb: DynamoDBClient, modules: { [K in keyof M]: StoreModule<M[K]> }): M {
  const documents = createDocumentClient(config, dynamodb);
  return Object.fromEntries(
    Object.entries<StoreModule<unknown>>(modules).map(([port, Module]) => [port, new Module(documents, config.tableName)]),
  ) as M;
}

const CHANGE_METRICS: Record<ChangeReport["outcome"], MetricName> = {
  retry: "ModelChangeRetries",
  conflict: "ModelChangeConflicts",
  gaveUp: "ModelChangeGaveUp",
  turnLeftOpen: "ModelTurnsLeftOpen",
};

/** The commit engine's reports, logged at their level and counted by how the attempt ended. */
export function measuredChangeLog(logger: Pick<Logger, "info" | "warn">, metrics: MetricsRecorder): ChangeLog {
  const report = (level: "info" | "warn") => (message: string, change: ChangeReport) => {
    logger[level](message, change);
    metrics.record(CHANGE_METRICS[change.outcome]);
  };
  return { info: report("info"), warn: report("warn") };
}

import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { loadConfig, type RegistryConfig } from "./config";
import { createDocumentClient, createDynamoDbClient } from "./clients";
import { createLogger } from "./logger";
import { RegistryStore } from "./store/registry-store";
import type { RegistryDeps } from "./use-cases/deps";

/**
 * Builds the use cases' dependencies from config: the same for every Lambda, the local server and tests.
 * Pass the process's DynamoDB client and logger to share them; contention and conflicts of model
 * changes go to that log.
 */
export function buildRegistryDeps(config: RegistryConfig = loadConfig(), dynamodb: DynamoDBClient = createDynamoDbClient(config), logger: Logger = createLogger(config)): RegistryDeps {
  return {
    store: new RegistryStore(createDocumentClient(config, dynamodb), config.tableName, () => new Date(), randomUUID, { log: logger }),
    namingPolicy: config.namingPolicy,
  };
}

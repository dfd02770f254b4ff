import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RegistryConfig } from "./config";
import { tracingOf } from "./tracing";

/**
 * Clients are built once per process (module scope of a composition root), and only by the
 * functions that need them: loading an SDK client is most of a cold start, so the S3 client
 * lives apart (s3-client.ts). Endpoints point the real clients at local engines.
 */
export function createDynamoDbClient(config: RegistryConfig): DynamoDBClient {
  return tracingOf(config).capture(new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb, maxAttempts: 3 }));
}

/** A DocumentClient over `dynamodb`: pass the process's client so that it keeps one connection pool. */
export function createDocumentClient(
  config: RegistryConfig,
  dynamodb: DynamoDBClient = createDynamoDbClient(config),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamodb, {
    // The SDK tells a map from a class instance by `value.constructor.name`, so a map with its own
    // `constructor` key (a tag, a metric or an alias named so) would be refused: marshall it as the map it is.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
}

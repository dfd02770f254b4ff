import { loadConfig, type RegistryConfig } from "./config";
import { createS3Client } from "./s3-client";
import { buildRegistryDeps } from "./composition";
import { createDynamoDbClient } from "./clients";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import { createLogger } from "./logger";
import { ArtifactBucket } from "./store/artifact-bucket";
import type { ArtifactDeps } from "./use-cases/deps";

/** The registry's dependencies plus the artifacts bucket: only functions that handle artifacts load the S3 client and presigner. */
export function buildArtifactDeps(config: RegistryConfig = loadConfig(), dynamodb: DynamoDBClient = createDynamoDbClient(config), logger: Logger = createLogger(config)): ArtifactDeps {
  return {
    ...buildRegistryDeps(config, dynamodb, logger),
    artifacts: new ArtifactBucket(createS3Client(config), config.bucketName, { uploadUrlExpirySeconds: config.uploads.urlExpirySeconds, clock: () => new Date() }),
    uploads: config.uploads,
  };
}

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { RegistryConfig } from "./config";

/**
 * Clients are built once per process (module scope of a composition root), and only by the
 * functions that need them: loading an SDK client is most of a cold start.
 * Endpoints point the real clients at local engines.
 */
export function createDynamoDbClient(config: RegistryConfig): DynamoDBClient {
  return new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb, maxAttempts: 3 });
}

export function createDocumentClient(config: RegistryConfig): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createS3Client(config: RegistryConfig): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoints.s3,
    forcePathStyle: Boolean(config.endpoints.s3),
    // Presigned URLs must not carry an empty-body CRC32; checksums are added where we ask for them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

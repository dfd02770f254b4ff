import { S3Client } from "@aws-sdk/client-s3";
import type { RegistryConfig } from "./config";
import { tracingOf } from "./tracing";

/** Only artifact-handling functions import this module: the S3 client is a large part of a cold start. */
export function createS3Client(config: RegistryConfig): S3Client {
  return tracingOf(config).capture(
    new S3Client({
      region: config.region,
      endpoint: config.endpoints.s3,
      forcePathStyle: Boolean(config.endpoints.s3),
      // Presigned URLs must not carry an empty-body CRC32; checksums are added where we ask for them.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
  );
}

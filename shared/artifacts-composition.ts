import { loadConfig } from "./config";
import { createS3Client } from "./s3-client";
import { buildRegistryDeps } from "./composition";
import { NO_METRICS } from "./metrics";
import { ArtifactBucket } from "./store/artifact-bucket";
import type { ArtifactDeps } from "./use-cases/deps";

/**
 * The registry's dependencies plus the artifacts bucket: only functions that handle artifacts load the S3 client and presigner.
 * Takes the same process resources as buildRegistryDeps, which supplies the client and logger left out.
 */
export function buildArtifactDeps(...resources: Parameters<typeof buildRegistryDeps>): ArtifactDeps {
  const [config = loadConfig(), dynamodb, logger, metrics = NO_METRICS] = resources;
  return {
    ...buildRegistryDeps(config, dynamodb, logger, metrics),
    artifacts: new ArtifactBucket(createS3Client(config), config.bucketName, {
      uploadUrlExpirySeconds: config.uploads.urlExpirySeconds,
      clock: () => new Date(),
    }),
    uploads: config.uploads,
    metrics,
  };
}

import type { S3Client } from "@aws-sdk/client-s3";
import { ENVIRONMENT_VARIABLES, loadConfig, type RegistryConfig } from "./config";
import { createS3Client } from "./s3-client";
import { buildRegistryDeps } from "./composition";
import { NO_METRICS } from "./metrics";
import { ArtifactBucket } from "./store/artifact-bucket";
import type { VerificationQueue } from "./store/verification-queue";
import type { ArtifactDeps } from "./use-cases/deps";

/**
 * The registry's dependencies plus the artifacts bucket: only functions that handle artifacts load the S3 client and presigner.
 * Takes the same process resources as buildRegistryDeps, which supplies the client and logger left out, and
 * the process's S3 client when it has one (the verifier's, which reads objects with it too).
 */
export function buildArtifactDeps(...resources: [...Parameters<typeof buildRegistryDeps>, s3?: S3Client]): ArtifactDeps {
  const [config = loadConfig(), dynamodb, logger, metrics = NO_METRICS, s3 = createS3Client(config)] = resources;
  return {
    ...buildRegistryDeps(config, dynamodb, logger, metrics),
    artifacts: new ArtifactBucket(s3, config.bucketName, {
      uploadUrlExpirySeconds: config.uploads.urlExpirySeconds,
      clock: () => new Date(),
    }),
    uploads: config.uploads,
    verifications: verificationQueue(config),
    metrics,
  };
}

/**
 * Only a function told its queue loads the SQS client, and starts at once, within its cold start as
 * a static import would: catalog and downloads, which send no task, never load it.
 */
function verificationQueue(config: RegistryConfig): VerificationQueue {
  const url = config.verificationQueueUrl;
  if (!url) return unconfiguredQueue;
  const queue = import("./store/verification-queue").then(({ sqsVerificationQueue }) => sqsVerificationQueue(url, config.region));
  return { send: async (tasks) => (await queue).send(tasks) };
}

/** Functions that never complete an upload need no queue; one that does without it is misconfigured. */
const unconfiguredQueue: VerificationQueue = {
  send: async () => {
    throw new Error(`Invalid registry configuration: ${ENVIRONMENT_VARIABLES.verificationQueueUrl} is required to verify uploads.`);
  },
};

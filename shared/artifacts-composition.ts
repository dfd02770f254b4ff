import { SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULT_VERIFICATION_SETTINGS, ENVIRONMENT_VARIABLES, loadConfig, type RegistryConfig } from "./config";
import { createS3Client } from "./s3-client";
import { buildRegistryDeps } from "./composition";
import { NO_METRICS } from "./metrics";
import { ArtifactBucket } from "./store/artifact-bucket";
import { SqsVerificationQueue, type VerificationQueue } from "./store/verification-queue";
import type { ArtifactDeps } from "./use-cases/deps";
import type { VerifierDeps } from "./use-cases/verify-file";

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
    verifications: verificationQueue(config),
    metrics,
  };
}

/** The verifier's dependencies: the artifacts' and how to read and hash. */
export function buildVerifierDeps(...resources: Parameters<typeof buildRegistryDeps>): VerifierDeps {
  const [config = loadConfig(), ...processResources] = resources;
  return { ...buildArtifactDeps(config, ...processResources), verification: config.verification ?? DEFAULT_VERIFICATION_SETTINGS };
}

/** A queue URL names its endpoint (https://sqs.<region>.amazonaws.com/… in AWS, the local stand-in locally). */
function verificationQueue(config: RegistryConfig): VerificationQueue {
  const url = config.verificationQueueUrl;
  if (!url) return unconfiguredQueue;
  return new SqsVerificationQueue(new SQSClient({ region: config.region, endpoint: new URL(url).origin, maxAttempts: 3 }), url);
}

/** Functions that never complete an upload need no queue; one that does without it is misconfigured. */
const unconfiguredQueue: VerificationQueue = {
  send: async () => {
    throw new Error(`Invalid registry configuration: ${ENVIRONMENT_VARIABLES.verificationQueueUrl} is required to verify uploads.`);
  },
};

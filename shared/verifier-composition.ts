import { buildArtifactDeps } from "./artifacts-composition";
import { createDocumentClient, createDynamoDbClient } from "./clients";
import type { buildRegistryDeps } from "./composition";
import { DEFAULT_VERIFICATION_SETTINGS, loadConfig } from "./config";
import { createS3Client } from "./s3-client";
import { ArtifactReads } from "./store/artifact-reads";
import { FileVerifications } from "./store/file-verifications";
import type { VerifierDeps } from "./use-cases/verify-file";

/** The verifier's dependencies: the artifacts', how to read and hash, and where a file's progress is saved. */
export function buildVerifierDeps(...resources: Parameters<typeof buildRegistryDeps>): VerifierDeps {
  const [config = loadConfig(), dynamodb = createDynamoDbClient(config), logger, metrics] = resources;
  const s3 = createS3Client(config);
  return {
    ...buildArtifactDeps(config, dynamodb, logger, metrics, s3),
    artifactReads: new ArtifactReads(s3, config.bucketName),
    verification: config.verification ?? DEFAULT_VERIFICATION_SETTINGS,
    fileVerifications: new FileVerifications(createDocumentClient(config, dynamodb), config.tableName),
  };
}

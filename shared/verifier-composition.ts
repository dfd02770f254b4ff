import { buildArtifactDeps } from "./artifacts-composition";
import { createDocumentClient, createDynamoDbClient } from "./clients";
import type { buildRegistryDeps } from "./composition";
import { DEFAULT_VERIFICATION_SETTINGS, loadConfig } from "./config";
import { FileVerifications } from "./store/file-verifications";
import type { VerifierDeps } from "./use-cases/verify-file";

/** The verifier's dependencies: the artifacts', how to read and hash, and where a file's progress is saved. */
export function buildVerifierDeps(...resources: Parameters<typeof buildRegistryDeps>): VerifierDeps {
  const [config = loadConfig(), dynamodb = createDynamoDbClient(config), ...processResources] = resources;
  return {
    ...buildArtifactDeps(config, dynamodb, ...processResources),
    verification: config.verification ?? DEFAULT_VERIFICATION_SETTINGS,
    fileVerifications: new FileVerifications(createDocumentClient(config, dynamodb), config.tableName),
  };
}

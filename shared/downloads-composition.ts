import { buildRegistryDeps, type ProcessResources } from "./composition";
import { createS3Client } from "./s3-client";
import { ArtifactDownloads } from "./store/artifact-downloads";
import type { DownloadDeps } from "./use-cases/deps";

/** The downloads function's dependencies: the registry's, and presigned GETs; it uploads, verifies and deletes nothing. */
export function buildDownloadDeps(...resources: ProcessResources): DownloadDeps {
  const [config] = resources;
  return {
    ...buildRegistryDeps(...resources),
    downloads: new ArtifactDownloads(createS3Client(config), config.bucketName, () => new Date()),
  };
}

import { ArtifactNotFoundError, VersionNotReadyError } from "../domain/errors";
import { versionFiles } from "../store/entities/manifest";
import type { VersionItem } from "../store/entities/version";
import type { DownloadView, FileDownloadsView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import type { ArtifactDeps } from "./deps";
import { requireVersion } from "./resolve";
import { requireArtifact, requireUploadedFiles } from "./version-artifact";

/** A presigned GET for a READY version's bytes (15 minutes), with what to check them against. */
export async function getArtifactDownload(deps: ArtifactDeps, name: string, selector: VersionSelector): Promise<DownloadView> {
  const version = await requireVersion(deps, name, selector);
  if (version.manifest) throw ArtifactNotFoundError.ofFiles(name, version.version, version.manifest.files.length);
  const artifact = requireArtifact(version);
  requireReady(version);
  const { url, expiresAt } = await deps.artifacts.presignGet(artifact.key, artifact.filename, artifact.contentType);
  return { url, expiresAt, sha256: artifact.sha256, sizeBytes: artifact.sizeBytes, filename: artifact.filename };
}

/**
 * Every file of a READY version with a presigned GET each (15 minutes), in the order declared: a
 * multi-file version's manifest, or the single artifact as one file. At most 64 files: one answer.
 */
export async function getFileDownloads(deps: ArtifactDeps, name: string, selector: VersionSelector): Promise<FileDownloadsView> {
  const version = await requireVersion(deps, name, selector);
  requireUploadedFiles(version);
  requireReady(version);
  // Taken before signing: no URL expires before it.
  const expiresAt = deps.artifacts.downloadUrlsExpireAt();
  const files = await Promise.all(
    versionFiles(version).map(async ({ path, sizeBytes, sha256, contentType, key }) => {
      const { url } = await deps.artifacts.presignGet(key, path, contentType);
      return { path, sizeBytes, sha256, contentType, url };
    }),
  );
  return { files, expiresAt };
}

function requireReady(version: VersionItem): void {
  if (version.status !== "READY") throw VersionNotReadyError.forDownload(version.model, version.version, version.status);
}

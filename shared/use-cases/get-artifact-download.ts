import { VersionNotReadyError } from "../domain/errors";
import type { DownloadView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import type { ArtifactDeps } from "./deps";
import { requireVersion } from "./resolve";
import { requireArtifact } from "./version-artifact";

/** A presigned GET for a READY version's bytes (15 minutes), with what to check them against. */
export async function getArtifactDownload(deps: ArtifactDeps, name: string, selector: VersionSelector): Promise<DownloadView> {
  const version = await requireVersion(deps, name, selector);
  const artifact = requireArtifact(version);
  if (version.status !== "READY") throw VersionNotReadyError.forDownload(name, version.version, version.status);
  const { url, expiresAt } = await deps.artifacts.presignGet(artifact.key, artifact.filename, artifact.contentType);
  return { url, expiresAt, sha256: artifact.sha256, sizeBytes: artifact.sizeBytes, filename: artifact.filename };
}

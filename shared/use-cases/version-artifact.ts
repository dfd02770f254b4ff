import { ArtifactNotFoundError, UploadConflictError } from "../domain/errors";
import type { ArtifactState } from "../store/entities/artifact";
import type { VersionItem } from "../store/entities/version";

/** The version's uploaded artifact, or 404 ArtifactNotFound (a version registered with a source has none). */
export function requireArtifact(version: VersionItem): ArtifactState {
  if (!version.artifact) throw new ArtifactNotFoundError(version.model, version.version, version.source);
  return version.artifact;
}

/** 404 ArtifactNotFound for a version registered with a source: it has no uploaded files. */
export function requireUploadedFiles(version: VersionItem): void {
  if (!version.artifact && !version.manifest) throw new ArtifactNotFoundError(version.model, version.version, version.source);
}

/** 409 UploadConflict for a version whose upload is over: READY keeps its bytes, VERIFYING is being checked, FAILED starts again through …/artifact/upload. */
export function notUploading(version: VersionItem): UploadConflictError {
  const what = `Version ${version.version} of '${version.model}'`;
  if (version.status === "READY")
    return new UploadConflictError(
      `${what} is READY: its bytes are verified and stay as they are. Register a new version for other bytes.`,
      { status: version.status },
    );
  if (version.status === "VERIFYING")
    return new UploadConflictError(
      `${what} is VERIFYING: its uploaded bytes are being checked. Poll GET /models/${version.model}/versions/${version.version} ` +
        "until it is READY, or FAILED (then start the upload again).",
      { status: version.status },
    );
  return new UploadConflictError(
    `${what} is FAILED (${(version.artifact ?? version.manifest)?.failureReason ?? "verification failed"}). ` +
      `Start the upload again with POST /models/${version.model}/versions/${version.version}/artifact/upload.`,
    { status: version.status },
  );
}

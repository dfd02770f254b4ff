import { claimedGeneration, dropReference } from "../store/entities/artifact";
import { unlinkDatasets } from "../store/entities/dataset-link";
import { deleteSemverLabel } from "../store/entities/semver-label";
import { deleteUploadParts } from "../store/entities/upload-parts";
import { deleteUnused, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import { discardLeaseEnd, discardObject } from "./artifact-discard";
import type { ArtifactDeps } from "./deps";

/** What removing a version commits, and the deletion of its bytes' object it claims with that (the last reference's). */
export interface VersionRemoval {
  readonly writes: GuardedWrite[];
  readonly discardClaim?: number;
}

/**
 * The version and every item that exists because of it go, and its bytes' reference count drops
 * (conditioned on the ref as read); the last reference claims the object's deletion in the same write.
 */
export async function versionRemoval(deps: ArtifactDeps, version: VersionItem, now: string): Promise<VersionRemoval> {
  const ref = version.artifact && (await deps.store.getArtifactRef(version.artifact.sha256));
  const dropped = ref ? dropReference(ref, now, discardLeaseEnd(now)) : undefined;
  return {
    writes: [...versionItemDeletes(version), ...(dropped ? [{ write: dropped.write }] : [])],
    discardClaim: ref && dropped?.claimed ? claimedGeneration(ref) : undefined,
  };
}

/** How many writes removing `version` takes (TransactWriteItems holds at most 100). */
export const versionRemovalSize = (version: VersionItem): number => versionItemDeletes(version).length + (version.artifact ? 1 : 0);

/**
 * After the removal committed: the claimed object is deleted and the claim released, and a multipart
 * upload still open for the version is aborted (its part URLs stop working). True when the object went.
 */
export async function afterVersionRemoved(deps: ArtifactDeps, removed: VersionItem, discardClaim: number | undefined): Promise<boolean> {
  const { artifact } = removed;
  if (!artifact) return false;
  if (discardClaim !== undefined) await discardObject(deps, artifact, discardClaim);
  if (removed.status === "PENDING_UPLOAD" && artifact.uploadId) await deps.artifacts.abortMultipart(artifact.key, artifact.uploadId);
  return discardClaim !== undefined;
}

/** The version item and every item that exists because of it. */
function versionItemDeletes(version: VersionItem): GuardedWrite[] {
  return [
    deleteUnused(version),
    ...(version.semver ? [deleteSemverLabel(version.model, version.semver)] : []),
    ...unlinkDatasets(version),
    ...(version.artifact?.partCount ? [deleteUploadParts(version.model, version.version)] : []),
  ].map((write) => ({ write }));
}

import { claimedGeneration, dropReference } from "../store/entities/artifact";
import { unlinkDatasets } from "../store/entities/dataset-link";
import { unlinkRun } from "../store/entities/run-link";
import { unindexMetrics } from "../store/entities/metric-index";
import type { KeyMetric } from "../store/entities/model";
import { deleteSemverLabel } from "../store/entities/semver-label";
import { distinctObjects, versionFiles } from "../store/entities/manifest";
import { deleteUploadParts } from "../store/entities/upload-parts";
import { deleteUnused, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import { discardLeaseEnd, discardObject, type StoredBytes } from "./artifact-discard";
import type { ArtifactDeps } from "./deps";

/** An object whose deletion a removal claimed (its last reference went), with the claim's generation. */
export interface ClaimedDiscard {
  readonly object: StoredBytes;
  readonly claim: number;
}

/** What removing a version commits, and the deletions of objects it claims with that (their last references'). */
export interface VersionRemoval {
  readonly writes: GuardedWrite[];
  readonly discards: ClaimedDiscard[];
}

/**
 * The version and every item that exists because of it go (its index items: those of `keyMetrics`), and the reference count of each object its
 * files use drops (conditioned on the ref as read); a last reference claims the object's deletion in the same write.
 */
export async function versionRemoval(
  deps: ArtifactDeps,
  version: VersionItem,
  keyMetrics: readonly KeyMetric[],
  now: string,
): Promise<VersionRemoval> {
  const drops = await Promise.all(
    distinctObjects(versionFiles(version)).map(async (object) => {
      const ref = await deps.store.getArtifactRef(object.sha256);
      return ref && { object, ref, dropped: dropReference(ref, now, discardLeaseEnd(now)) };
    }),
  );
  const present = drops.filter((drop) => drop !== undefined);
  return {
    writes: [...versionItemDeletes(version, keyMetrics), ...present.map(({ dropped }) => ({ write: dropped.write }))],
    discards: present.filter(({ dropped }) => dropped.claimed).map(({ object, ref }) => ({ object, claim: claimedGeneration(ref) })),
  };
}

/** The objects a version's files use, one per distinct digest. */
export const versionObjects = (version: VersionItem): string[] => distinctObjects(versionFiles(version)).map((file) => file.sha256);

/** How many writes removing `version` takes (TransactWriteItems holds at most 100). */
export const versionRemovalSize = (version: VersionItem, keyMetrics: readonly KeyMetric[]): number =>
  versionItemDeletes(version, keyMetrics).length + versionObjects(version).length;

/**
 * After the removal committed: each claimed object is deleted and its claim released, and every
 * multipart upload still open for the version (its artifact's, its files') is aborted (their part
 * URLs stop working). How many objects went.
 */
export async function afterVersionRemoved(deps: ArtifactDeps, removed: VersionItem, discards: readonly ClaimedDiscard[]): Promise<number> {
  for (const { object, claim } of discards) await discardObject(deps, object, claim);
  if (removed.status === "PENDING_UPLOAD")
    for (const { key, uploadId } of versionFiles(removed)) if (uploadId) await deps.artifacts.abortMultipart(key, uploadId);
  return discards.length;
}

/** The version item and every item that exists because of it. */
function versionItemDeletes(version: VersionItem, keyMetrics: readonly KeyMetric[]): GuardedWrite[] {
  return [
    deleteUnused(version),
    ...(version.semver ? [deleteSemverLabel(version.model, version.semver)] : []),
    ...unlinkDatasets(version),
    ...unlinkRun(version),
    ...unindexMetrics(version, keyMetrics),
    ...versionFiles(version)
      .filter((file) => file.partCount)
      .map((file) => deleteUploadParts(version.model, version.version, file.index)),
  ].map((write) => ({ write }));
}

import { claimedGeneration, dropReference } from "../store/entities/artifact";
import { unlinkDatasets } from "../store/entities/dataset-link";
import { unlinkRun } from "../store/entities/run-link";
import { unindexMetrics } from "../store/entities/metric-index";
import type { KeyMetric } from "../store/entities/model";
import { deleteSemverLabel } from "../store/entities/semver-label";
import { distinctObjects, versionFiles, type VersionFile } from "../store/entities/manifest";
import { chunkFiles, deleteManifestChunk, noteChunkRemoved, startChunkRemoval } from "../store/entities/manifest-chunk";
import type { ModelItem } from "../store/entities/model";
import type { ChangeOptions } from "../store/registry-store";
import { unchanged } from "../store/model-change";
import type { Write } from "../store/writes";
import { ModelNotFoundError, VersionNotFoundError } from "../domain/errors";
import { deleteUploadParts } from "../store/entities/upload-parts";
import { deleteUnused, isBeingRemoved, startRemoval, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import { discardLeaseEnd, discardObject, type StoredBytes } from "./artifact-discard";
import { withoutReadyVersion } from "./latest-ready";
import type { Actor, ArtifactDeps } from "./deps";

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
  const drops = await referenceDrops(deps, distinctObjects(versionFiles(version)), now);
  return { writes: [...versionItemDeletes(version, keyMetrics), ...drops.writes], discards: drops.discards };
}

/** One reference fewer to each object (conditioned on its ref as read, 100 refs to a BatchGetItem); a last one claims the object's deletion. */
async function referenceDrops(deps: ArtifactDeps, objects: readonly StoredBytes[], now: string): Promise<VersionRemoval> {
  const refs = await deps.store.getArtifactRefs(objects.map((object) => object.sha256));
  const present = objects.flatMap((object) => {
    const ref = refs.get(object.sha256);
    return ref ? [{ object, ref, dropped: dropReference(ref, now, discardLeaseEnd(now)) }] : [];
  });
  return {
    writes: present.map(({ dropped }) => ({ write: dropped.write })),
    discards: present.filter(({ dropped }) => dropped.claimed).map(({ object, ref }) => ({ object, claim: claimedGeneration(ref) })),
  };
}

/**
 * Takes a chunked manifest apart before its version goes, its chunks being too many for one commit:
 * 1. one commit marks the version as being removed (after `judge` found it deletable, as the model
 *    reads then): from then on nothing else uses it, no read answers it, and no more chunks are registered;
 * 2. then one commit per chunk, last chunk first: the chunk, its files' part digests and the
 *    references its files took go (the last one of an object claiming its deletion), the version
 *    counting one chunk fewer; after each, the claimed objects are deleted and the chunk's open
 *    multipart uploads aborted.
 * A deletion cut off midway is continued by the next, from the chunk it left. How many objects went.
 */
export async function takeManifestApart(
  deps: ArtifactDeps,
  who: Actor,
  version: VersionItem,
  judge: (latest: VersionItem, model: ModelItem) => Promise<void>,
  options: ChangeOptions = {},
): Promise<number> {
  await deps.store.change(
    who,
    version.model,
    async (current) => {
      if (!current) throw new ModelNotFoundError(version.model);
      const latest = await rereadRecord(deps, version);
      if (isBeingRemoved(latest)) return unchanged(undefined);
      await judge(latest, current);
      return { ...(await removalMark(deps, current, latest)), history: [], result: () => undefined };
    },
    options,
  );
  let objectsDeleted = 0;
  for (
    let removed = await removeLastChunk(deps, who, version, options);
    removed;
    removed = await removeLastChunk(deps, who, version, options)
  )
    objectsDeleted += await afterFilesRemoved(deps, removed.status, removed.files, removed.discards);
  return objectsDeleted;
}

/**
 * Marks a version as being removed (a chunked manifest's on its chunks), and its dataset links go, the one lineage read
 * that answers the version without reading it: from the mark on, the version is none to every read (as its getVersion
 * is), `latest` naming the next newest READY one. Conditioned on the stage and status the version was judged deletable in.
 */
export async function removalMark(
  deps: ArtifactDeps,
  current: ModelItem,
  version: VersionItem,
): Promise<{ model: ModelItem; writes: GuardedWrite[] }> {
  const mark = version.manifest?.chunks ? startChunkRemoval(version) : startRemoval(version);
  return {
    model: await withoutReadyVersion(deps, current, version.version),
    writes: [mark, ...unlinkDatasets(version)].map((write) => ({ write })),
  };
}

/** The version's last chunk still there, in one commit, and what it took with it; undefined when none is left. */
async function removeLastChunk(deps: ArtifactDeps, who: Actor, version: VersionItem, options: ChangeOptions) {
  return deps.store.change(
    who,
    version.model,
    async (current, now) => {
      if (!current) throw new ModelNotFoundError(version.model);
      const latest = await rereadRecord(deps, version);
      const written = latest.manifest?.chunks?.written ?? 0;
      if (written === 0) return unchanged(undefined);
      const chunk = await deps.store.getManifestChunk(latest.model, latest.version, written - 1);
      if (!chunk) throw new Error(`Chunk ${written - 1} of version ${latest.version} of '${latest.model}' is missing`);
      const files = chunkFiles(chunk);
      const drops = await referenceDrops(
        deps,
        files.filter((file) => file.sameBytesAs === undefined),
        now,
      );
      const chunkDeletes = [noteChunkRemoved(latest), deleteManifestChunk(chunk), ...partsDeletes(latest, files)];
      return {
        model: current,
        writes: [...chunkDeletes.map((write) => ({ write })), ...drops.writes],
        history: [],
        result: () => ({ status: latest.status, files, discards: drops.discards }),
      };
    },
    options,
  );
}

/** The version as stored, one being removed too (nothing else reads it then). */
async function rereadRecord(deps: ArtifactDeps, version: VersionItem): Promise<VersionItem> {
  const latest = await deps.store.getVersionRecord(version.model, version.version);
  if (!latest) throw new VersionNotFoundError(version.model, version.version);
  return latest;
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
export const afterVersionRemoved = (deps: ArtifactDeps, removed: VersionItem, discards: readonly ClaimedDiscard[]): Promise<number> =>
  afterFilesRemoved(deps, removed.status, versionFiles(removed), discards);

async function afterFilesRemoved(
  deps: ArtifactDeps,
  status: VersionItem["status"],
  files: readonly VersionFile[],
  discards: readonly ClaimedDiscard[],
): Promise<number> {
  for (const { object, claim } of discards) await discardObject(deps, object, claim);
  if (status === "PENDING_UPLOAD") for (const { key, uploadId } of files) if (uploadId) await deps.artifacts.abortMultipart(key, uploadId);
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
    ...partsDeletes(version, versionFiles(version)),
  ].map((write) => ({ write }));
}

/** The declared part digests of the version's files in parts. */
const partsDeletes = (version: VersionItem, files: readonly VersionFile[]): Write[] =>
  files.filter((file) => file.partCount).map((file) => deleteUploadParts(version.model, version.version, file.index));

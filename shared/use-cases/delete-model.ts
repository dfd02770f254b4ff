import { ModelNotFoundError, VersionInUseError } from "../domain/errors";
import { isBeingDeleted, markedDeleting, tombstoneOf, type DeletingModel, type KeyMetric, type ModelItem } from "../store/entities/model";
import type { VersionItem } from "../store/entities/version";
import { unchanged } from "../store/model-change";
import type { Write } from "../store/writes";
import type { DeletedModelView } from "../schemas/model";
import { runsThatFit } from "../runs";
import type { Actor, RemovalDeps } from "./deps";
import { afterVersionRemoved, takeManifestApart, versionObjects, versionRemoval, versionRemovalSize } from "./version-removal";

/** Every step of a deletion goes on while the model is DELETING, which refuses every other change (the first step finds it so when a DELETE is repeated). */
const DELETION_STEP = { continuesDeletion: true };
/** TransactWriteItems takes at most 100 writes; the model item's own takes one. */
const WRITES_PER_STEP = 99;
/** The versions' key metric index items go with the partition's leftovers, once the versions are gone: none per version. */
const INDEX_ITEMS_WITH_LEFTOVERS: readonly KeyMetric[] = [];
const VERSIONS_PER_READ = 50;

/**
 * Deletes a model with all its versions (admin); its history stays.
 * 1. one commit marks it DELETING and takes it out of the model list: refused (409 VersionInUse)
 *    while a version is in Staging or Production, or VERIFYING; from then on every other change of
 *    it is refused (409 ModelBeingDeleted) and reads of it answer 404;
 * 2. its versions go a chunk at a time, each chunk one transaction under the model's lock, as a
 *    version delete removes one (its label, dataset links, part digests, one reference fewer to its
 *    bytes, the last one claiming the object's deletion; a manifest written in chunks taken apart
 *    first, a chunk per transaction); after each, the claimed objects are deleted and open multipart
 *    uploads aborted;
 * 3. every other item of its partition but history and checkpoints goes (aliases, policy, file
 *    verifications), in chunks;
 * 4. a last commit leaves the model item as a tombstone, recording MODEL_DELETED: the name can be
 *    registered again, from version 1, its history numbered on after this entry.
 * Each step reads what is left: a DELETE repeated after one that stopped midway continues it.
 */
export async function deleteModel(deps: RemovalDeps, name: string, who: Actor): Promise<DeletedModelView> {
  await startDeletion(deps, name, who);
  const removed = await removeVersions(deps, name, who);
  await removeLeftovers(deps, name, who);
  await deps.store.change(
    who,
    name,
    (current, now) => ({
      model: tombstoneOf(stillDeleting(current, name), now),
      history: [{ action: "MODEL_DELETED" }],
      result: () => undefined,
    }),
    DELETION_STEP,
  );
  return { model: name, deleted: true, ...removed };
}

async function startDeletion(deps: RemovalDeps, name: string, who: Actor): Promise<void> {
  await deps.store.change(
    who,
    name,
    async (current, now) => {
      if (!current) throw new ModelNotFoundError(name);
      if (isBeingDeleted(current)) return unchanged(undefined);
      await assertRemovable(deps, current);
      return { model: markedDeleting(current, who.actor, now), history: [], result: () => undefined };
    },
    DELETION_STEP,
  );
}

/**
 * A model whose versions serve (Staging, Production) stays, and so does one with a protected version.
 * So does one with a version being verified: the verifier settles it, and may claim its bytes'
 * deletion, outside this deletion's steps; once it is READY or FAILED, nothing but this deletion
 * touches the versions. Protection is a model change: one set meanwhile fails the DELETING commit.
 */
async function assertRemovable(deps: RemovalDeps, model: ModelItem): Promise<void> {
  const { Production, Staging = [] } = model.stages;
  const serving = [...(Production === undefined ? [] : [Production]), ...Staging];
  if (serving.length > 0) {
    throw new VersionInUseError(
      `Model '${model.name}' has version ${serving.join(", ")} in Staging or Production: archive ${serving.length > 1 ? "them" : "it"} first ` +
        `(POST /models/${model.name}/versions/{v}/transitions with "to": "Archived"), then delete the model.`,
      { stages: model.stages },
    );
  }
  if (await deps.removalReads.hasVersionWhere(model.name, "protected", true)) {
    throw new VersionInUseError(
      `Model '${model.name}' has a protected version: an admin lifts its protection first ` +
        `(PUT /models/${model.name}/versions/{v}/protection with {"protected": false}), then deletes the model.`,
      { protected: true },
    );
  }
  if (await deps.removalReads.hasVersionWhere(model.name, "status", "VERIFYING")) {
    throw new VersionInUseError(
      `Model '${model.name}' has a version being verified: wait until it is READY or FAILED ` +
        `(GET /models/${model.name}/versions?status=VERIFYING lists them), then delete the model.`,
      { status: "VERIFYING" },
    );
  }
}

/** The model as a deletion step finds it: still DELETING, else another DELETE finished the deletion (404). */
function stillDeleting(current: ModelItem | undefined, name: string): DeletingModel {
  if (!current || !isBeingDeleted(current)) throw new ModelNotFoundError(name);
  return current;
}

async function removeVersions(deps: RemovalDeps, name: string, who: Actor) {
  let versionsDeleted = 0;
  let artifactObjectsDeleted = 0;
  let versions = await deps.removalReads.firstVersions(name, VERSIONS_PER_READ);
  while (versions.length > 0) {
    for (const version of versions.filter((v) => v.manifest?.chunks))
      artifactObjectsDeleted += await takeManifestApart(deps, who, version, async () => undefined, DELETION_STEP);
    for (const chunk of transactionChunks(versions)) {
      const removed = await removeChunk(deps, name, chunk, who);
      versionsDeleted += removed.length;
      for (const { version, discards } of removed) artifactObjectsDeleted += await afterVersionRemoved(deps, version, discards);
    }
    versions = await deps.removalReads.firstVersions(name, VERSIONS_PER_READ);
  }
  return { versionsDeleted, artifactObjectsDeleted };
}

/**
 * Versions in groups that fit one transaction. Two versions declaring the same bytes go to different
 * groups: each drops a reference conditioned on the ref as read, and a transaction writes an item once.
 */
function transactionChunks(versions: readonly VersionItem[]): VersionItem[][] {
  const sharesBytes = (a: VersionItem, b: VersionItem) => versionObjects(a).some((sha256) => versionObjects(b).includes(sha256));
  return runsThatFit(
    versions,
    (chunk, next) =>
      chunk.reduce(
        (writes, version) => writes + versionRemovalSize(version, INDEX_ITEMS_WITH_LEFTOVERS),
        versionRemovalSize(next, INDEX_ITEMS_WITH_LEFTOVERS),
      ) <= WRITES_PER_STEP && !chunk.some((version) => sharesBytes(version, next)),
  );
}

/** One transaction removing the versions of `chunk` still there (another DELETE may have removed some). */
async function removeChunk(deps: RemovalDeps, name: string, chunk: readonly VersionItem[], who: Actor) {
  return deps.store.change(
    who,
    name,
    async (current, now) => {
      const model = stillDeleting(current, name);
      const present = await Promise.all(chunk.map((version) => deps.store.getVersionRecord(name, version.version)));
      const removals = await Promise.all(
        present
          .filter((version) => version !== undefined)
          .map(async (version) => ({ version, ...(await versionRemoval(deps, version, INDEX_ITEMS_WITH_LEFTOVERS, now)) })),
      );
      if (removals.length === 0) return unchanged([]);
      return { model, writes: removals.flatMap((removal) => removal.writes), history: [], result: () => removals };
    },
    DELETION_STEP,
  );
}

/** Once the versions are gone: every other item of the partition but history and checkpoints (nothing adds any while DELETING). */
async function removeLeftovers(deps: RemovalDeps, name: string, who: Actor): Promise<void> {
  const deletes: Write[] = [];
  for await (const write of deps.removalReads.partitionLeftovers(name)) deletes.push(write);
  for (let start = 0; start < deletes.length; start += WRITES_PER_STEP) {
    const writes = deletes.slice(start, start + WRITES_PER_STEP).map((write) => ({ write }));
    await deps.store.change(
      who,
      name,
      (current) => ({ model: stillDeleting(current, name), writes, history: [], result: () => undefined }),
      DELETION_STEP,
    );
  }
}

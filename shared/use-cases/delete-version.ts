import { ModelNotFoundError, VersionInUseError, VersionNotFoundError } from "../domain/errors";
import { historyArtifact } from "../store/entities/manifest";
import { isBeingRemoved, type VersionItem } from "../store/entities/version";
import type { ModelItem } from "../store/entities/model";
import type { DeletedVersionView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import type { Actor, RemovalDeps } from "./deps";
import { withoutReadyVersion } from "./latest-ready";
import { requireVersion } from "./resolve";
import {
  afterVersionRemoved,
  removalMark,
  takeManifestApart,
  versionRemoval,
  versionRemovalSize,
  type ClaimedDiscard,
} from "./version-removal";
import type { GuardedWrite } from "../store/model-change";

/**
 * Deletes an Archived version, or one that never became READY (admin).
 * 1. only Archived versions, and PENDING_UPLOAD or FAILED ones still in None, that no alias names,
 *    that are not protected and not being verified (409 VersionInUse); the delete is conditioned on the stage and status as read;
 * 2. one transaction: the version, its label, dataset links, part digests, approvals and file verifications go (a
 *    version owning more than the transaction holds sheds them first, a commit at a time), the reference count
 *    of each object its files use drops (conditioned on the ref as read), VERSION_DELETED is recorded;
 *    an object's last reference claims its deletion in the same write (a manifest written in chunks
 *    is first taken apart chunk by chunk, each chunk releasing the references it took: takeManifestApart);
 * 3. after the commit, each claimed object is deleted and its claim released, and a multipart
 *    upload still open for the version is aborted (its part URLs stop working).
 * A deletion a rule decides (retention) is confirmed against the model as each attempt reads it, and
 * its history entry names the rule.
 */
export async function deleteVersion(
  deps: RemovalDeps,
  name: string,
  selector: VersionSelector,
  who: Actor,
  rule?: DeletionRule,
): Promise<DeletedVersionView> {
  const target = await requireVersion(deps, name, selector, { beingDeleted: true });
  const judge = async (version: VersionItem, model: ModelItem) => {
    assertDeletable(version, aliasesOf(model, version));
    await rule?.confirm(version, model);
  };
  const chunkObjectsDeleted = target.manifest?.chunks ? await takeManifestApart(deps, who, target, judge) : 0;
  let removed: RemovedVersion | undefined;
  while (!removed) removed = await removeOrShedLeftovers(deps, who, target, judge, rule);
  const artifactDeleted = chunkObjectsDeleted + (await afterVersionRemoved(deps, removed.version, removed.discards)) > 0;
  return { model: name, version: removed.version.version, deleted: true, artifactDeleted };
}

interface RemovedVersion {
  readonly version: VersionItem;
  readonly discards: readonly ClaimedDiscard[];
}

/**
 * One commit: the version with every item it owns (its approvals, its files' verifications and tally too) and
 * VERSION_DELETED; or, when those it owns beside its removal's own writes are more than that commit holds, as
 * many of them as one commit holds (judged as the version's removal is, so a version in use keeps its
 * approvals), undefined then: the next commit goes on.
 */
async function removeOrShedLeftovers(
  deps: RemovalDeps,
  who: Actor,
  target: VersionItem,
  judge: (version: VersionItem, model: ModelItem) => Promise<void>,
  rule: DeletionRule | undefined,
): Promise<RemovedVersion | undefined> {
  const name = target.model;
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const version = await deps.store.getVersionRecord(name, target.version);
    if (!version) throw new VersionNotFoundError(name, target.version);
    // A version marked as being removed was judged when its removal began: nothing else has used it since.
    if (!isBeingRemoved(version)) await judge(version, current);
    const keyMetrics = current.keyMetrics ?? [];
    const room = WRITES_PER_COMMIT - versionRemovalSize(version, keyMetrics);
    const leftovers = (await deps.removalReads.versionLeftovers(name, version.version, WRITES_PER_COMMIT)).map((write) => ({ write }));
    if (leftovers.length > room) return { ...(await shedding(deps, current, version, leftovers)), history: [], result: () => undefined };
    const removal = await versionRemoval(deps, version, keyMetrics, now);
    return {
      model: await withoutReadyVersion(deps, current, version.version),
      writes: [...removal.writes, ...leftovers],
      history: [
        {
          action: "VERSION_DELETED",
          version: version.version,
          semver: version.semver,
          artifact: historyArtifact(version),
          reason: rule?.reason,
        },
      ],
      result: () => ({ version, discards: removal.discards }),
    };
  });
}

/**
 * As many of the items the version owns as one commit holds. The first such commit marks the version as being removed:
 * none goes from a version that a restore, a protection or an alias committed meanwhile keeps (the deletion is then
 * refused with everything in place), and from the mark on nothing can keep it.
 */
async function shedding(
  deps: RemovalDeps,
  current: ModelItem,
  version: VersionItem,
  leftovers: readonly GuardedWrite[],
): Promise<{ model: ModelItem; writes: GuardedWrite[] }> {
  if (isBeingRemoved(version)) return { model: current, writes: [...leftovers] };
  const mark = await removalMark(deps, current, version);
  return { model: mark.model, writes: [...mark.writes, ...leftovers.slice(0, WRITES_PER_COMMIT - mark.writes.length)] };
}

/** TransactWriteItems takes 100 writes: a version's last commit holds the model item, its history entry and maybe a checkpoint beside these. */
const WRITES_PER_COMMIT = 97;

/** A deletion decided by a rule rather than by a caller. */
export interface DeletionRule {
  /** The rule, as the VERSION_DELETED entry records it (`retention: keepArchived 5`). */
  readonly reason: string;
  /** Throws when the rule no longer deletes the version, as the model now stands: the deletion is then not made. */
  readonly confirm: (version: VersionItem, model: ModelItem) => Promise<void>;
}

/** Archived versions are out of use; so is a version whose bytes never became READY, which no stage or alias can hold. */
const aliasesOf = (model: ModelItem, version: VersionItem): string[] =>
  Object.entries(model.aliases)
    .filter(([, v]) => v === version.version)
    .map(([alias]) => alias);

const isOutOfUse = (version: VersionItem) => version.stage === "Archived" || version.status !== "READY";

function assertDeletable(version: VersionItem, aliases: string[]): void {
  const what = `Version ${version.version} of '${version.model}'`;
  // Its verifier writes beside the model's commits (each file's progress, the tally), as for the model's deletion.
  if (version.status === "VERIFYING")
    throw new VersionInUseError(
      `${what} is being verified: wait until it is READY or FAILED (GET /models/${version.model}/versions/${version.version} shows how far it got; ` +
        `POST …/artifact/complete again sends the tasks of a verification that stalled), then delete it.`,
      { status: version.status },
    );
  if (!isOutOfUse(version)) {
    throw new VersionInUseError(
      `${what} is in ${version.stage}: only Archived versions (and uploads that never became READY) can be deleted. ` +
        `Archive it first (POST /models/${version.model}/versions/${version.version}/transitions).`,
      { stage: version.stage },
    );
  }
  if (aliases.length > 0)
    throw new VersionInUseError(`${what} is the target of alias ${aliases.join(", ")}: move or delete the alias first.`, { aliases });
  // As for the model's deletion: protection keeps a version until an admin lifts it, not only from retention.
  if (version.protected)
    throw new VersionInUseError(
      `${what} is protected: an admin lifts its protection first ` +
        `(PUT /models/${version.model}/versions/${version.version}/protection with {"protected": false}), then deletes it.`,
      { protected: true },
    );
}

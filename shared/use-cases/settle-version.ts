import { ModelNotFoundError } from "../domain/errors";
import { claimUnverifiedDiscard, claimedGeneration, isDiscarding, markVerified } from "../store/entities/artifact";
import { MAX_FILES_PER_COMMIT, historyArtifact, verificationStartedAtOf, withUploadState } from "../store/entities/manifest";
import { replaceIfStatus, type VersionItem } from "../store/entities/version";
import { unchanged, type GuardedWrite } from "../store/model-change";
import { discardLeaseEnd, discardObject, type StoredBytes } from "./artifact-discard";
import type { Actor, ArtifactDeps } from "./deps";
import { noteReady } from "./latest-ready";
import { rereadVersion } from "./resolve";

/** One stored object a verdict is about: what it should hold, and what checking it found. */
export interface CheckedObject extends StoredBytes {
  readonly sizeBytes: number;
  /** The object's reference generation, read before the bytes were checked. */
  readonly refGeneration: number | undefined;
  /** Why these are not the declared bytes, naming the file; absent when they are. */
  readonly failureReason?: string;
  /**
   * The object holds the declared digest's bytes, only not of the declared size: the version fails,
   * but the bytes stay (another version may have declared and uploaded them right).
   */
  readonly holdsDigest?: boolean;
}

/** The failure of a file whose stored object has another size than the version declared. */
export const sizeMismatchReason = (path: string, declared: number, stored: number): string =>
  `${path}: size mismatch: ${declared} bytes were declared, the stored object has ${stored}`;

/** What checking a version's objects found: every one of them, for READY; the ones that failed, for FAILED. */
export interface Verdict {
  readonly checked: readonly CheckedObject[];
  /** Bytes of objects proven and marked verified before the verdict (a chunked manifest's, counted on its tally one by one). */
  readonly bytesCounted?: number;
}

/**
 * How settling ended: the version as it is now (settled by us, or by whoever got there first), or
 * refused because a checked object was claimed for deletion, or deleted, before the verdict could vouch for it.
 */
export type Settlement = { readonly version: VersionItem } | { readonly replacedWhileHashing: VersionItem };

/**
 * Settles a version whose bytes were checked, if it is still as `checked` was (same status, same verification):
 * 1. READY (each checked object's reference marked verified, only if no deletion of it was claimed
 *    or released since its generation was read: else `replacedWhileHashing`; a chunked manifest's
 *    objects were marked one by one as they were counted, none is left to check) or FAILED with the
 *    reasons, each naming its file: one conditional write with its history entry (VERSION_READY / VERSION_FAILED);
 * 2. FAILED bytes that no verification ever vouched for, and that do not hold the declared digest, are
 *    deleted, so a re-upload can store the right ones: the deletion is claimed on the reference in
 *    that same write (never while a verification vouches for the bytes), then the object goes, then
 *    the claim is released.
 */
export async function settleVersion(deps: ArtifactDeps, who: Actor, checked: VersionItem, verdict: Verdict): Promise<Settlement> {
  const failed = verdict.checked.filter((object) => object.failureReason !== undefined);
  const failureReason = failed.length > 0 ? failed.map((object) => object.failureReason).join("; ") : undefined;
  let discards: { object: CheckedObject; claim: number }[] = [];
  let settledHere = false;
  const outcome = await deps.store.changeOrConflict(who, checked.model, async (current, now) => {
    if (!current) throw new ModelNotFoundError(checked.model);
    discards = [];
    const latest = await rereadVersion(deps, checked);
    // Settled (or started over) meanwhile: that is the answer, nothing more is written.
    if (!sameVerification(latest, checked)) return unchanged(latest);
    const after = withUploadState<VersionItem>(
      { ...latest, status: failureReason ? "FAILED" : "READY", updatedAt: now },
      { failureReason },
    );
    const refWrites: GuardedWrite<{ replacedWhileHashing: VersionItem }>[] = [];
    if (!failureReason)
      for (const object of verdict.checked)
        refWrites.push({ write: markVerified(object, object.refGeneration, now), conflict: { replacedWhileHashing: latest } });
    // The claims ride with the verdict: at most one commit's worth (the rest stay, unverified, for the re-upload to find).
    for (const object of failed.filter((checked) => !checked.holdsDigest).slice(0, MAX_FILES_PER_COMMIT)) {
      const ref = await deps.store.getArtifactRef(object.sha256);
      // Only the object that was checked: no deletion claimed or released since its generation was read.
      if (ref && ref.generation === object.refGeneration && !ref.verifiedAt && !isDiscarding(ref, now)) {
        refWrites.push({ write: claimUnverifiedDiscard(ref, now, discardLeaseEnd(now)) });
        discards.push({ object, claim: claimedGeneration(ref) });
      }
    }
    const artifact = historyArtifact(checked);
    return {
      model: noteReady(current, after),
      writes: [{ write: replaceIfStatus(after, latest.status) }, ...refWrites],
      history: [
        failureReason
          ? { action: "VERSION_FAILED", version: latest.version, artifact, reason: failureReason }
          : { action: "VERSION_READY", version: latest.version, artifact },
      ],
      result: () => {
        settledHere = true;
        return after;
      },
    };
  });
  if ("conflict" in outcome) return outcome.conflict;
  if (settledHere) {
    deps.metrics?.record(failureReason ? "VerificationsFailed" : "VerificationsSucceeded");
    deps.metrics?.record("BytesVerified", bytesVerifiedBy(verdict));
  }
  for (const { object, claim } of discards) await discardObject(deps, object, claim);
  return { version: outcome.answer };
}

const bytesVerifiedBy = (verdict: Verdict): number =>
  verdict.checked.reduce((sum, object) => sum + object.sizeBytes, verdict.bytesCounted ?? 0);

/** The version is still in the status it was checked in, and still in the same verification. */
export const sameVerification = (latest: VersionItem, checked: VersionItem): boolean =>
  latest.status === checked.status && verificationStartedAtOf(latest) === verificationStartedAtOf(checked);

import { ModelNotFoundError } from "../domain/errors";
import { artifactSummary, claimUnverifiedDiscard, claimedGeneration, isDiscarding, markVerified } from "../store/entities/artifact";
import { replaceIfStatus, type VersionItem } from "../store/entities/version";
import { unchanged, type GuardedWrite } from "../store/model-change";
import { discardLeaseEnd, discardObject } from "./artifact-discard";
import type { Actor, ArtifactDeps } from "./deps";
import { noteReady } from "./latest-ready";
import { rereadVersion } from "./resolve";
import { requireArtifact } from "./version-artifact";

/** What checking a version's bytes found: nothing wrong, or why they are not the declared ones. */
export interface Verdict {
  readonly failureReason?: string;
  /** The artifact reference's deletion generation read before the bytes were checked. */
  readonly refGeneration: number | undefined;
}

/**
 * How settling ended: the version as it is now (settled by us, or by whoever got there first), or
 * refused because the checked object was claimed for deletion, or deleted, before the verdict could vouch for it.
 */
export type Settlement = { readonly version: VersionItem } | { readonly replacedWhileHashing: VersionItem };

/**
 * Settles a version whose bytes were checked, if it is still as `checked` was (same status, same verification):
 * 1. READY (the reference marked verified, only if no deletion of the object was claimed or released
 *    since the verdict's generation was read: else `replacedWhileHashing`) or FAILED with the reason:
 *    one conditional write with its history entry (VERSION_READY / VERSION_FAILED);
 * 2. FAILED bytes that no verification ever vouched for are deleted, so a re-upload can store the
 *    right ones: the deletion is claimed on the reference in that same write (never while a
 *    verification vouches for the bytes), then the object goes, then the claim is released.
 */
export async function settleVersion(deps: ArtifactDeps, who: Actor, checked: VersionItem, verdict: Verdict): Promise<Settlement> {
  const artifact = requireArtifact(checked);
  const { failureReason, refGeneration } = verdict;
  let discardClaim: number | undefined;
  let settledHere = false;
  const outcome = await deps.store.changeOrConflict(who, checked.model, async (current, now) => {
    if (!current) throw new ModelNotFoundError(checked.model);
    discardClaim = undefined;
    const latest = await rereadVersion(deps, checked);
    // Settled (or started over) meanwhile: that is the answer, nothing more is written.
    if (!sameVerification(latest, checked)) return unchanged(latest);
    const after: VersionItem = {
      ...latest,
      status: failureReason ? "FAILED" : "READY",
      artifact: { ...requireArtifact(latest), failureReason },
      updatedAt: now,
    };
    const summary = artifactSummary(artifact);
    const refWrites: GuardedWrite<{ replacedWhileHashing: VersionItem }>[] = [];
    if (!failureReason) refWrites.push({ write: markVerified(artifact, refGeneration, now), conflict: { replacedWhileHashing: latest } });
    else {
      const ref = await deps.store.getArtifactRef(artifact.sha256);
      // Only the object that was checked: no deletion claimed or released since its generation was read.
      if (ref && ref.generation === refGeneration && !ref.verifiedAt && !isDiscarding(ref, now)) {
        refWrites.push({ write: claimUnverifiedDiscard(ref, now, discardLeaseEnd(now)) });
        discardClaim = claimedGeneration(ref);
      }
    }
    return {
      model: noteReady(current, after),
      writes: [{ write: replaceIfStatus(after, latest.status) }, ...refWrites],
      history: [
        failureReason
          ? { action: "VERSION_FAILED", version: latest.version, artifact: summary, reason: failureReason }
          : { action: "VERSION_READY", version: latest.version, artifact: summary },
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
    deps.metrics?.record("BytesVerified", artifact.sizeBytes);
  }
  if (discardClaim !== undefined) await discardObject(deps, artifact, discardClaim);
  return { version: outcome.answer };
}

/** The version is still in the status it was checked in, and still in the same verification. */
export const sameVerification = (latest: VersionItem, checked: VersionItem): boolean =>
  latest.status === checked.status && latest.artifact?.verificationStartedAt === checked.artifact?.verificationStartedAt;

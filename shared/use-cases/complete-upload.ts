import { assertPartNumbers, partCoverage } from "../domain/artifacts";
import { ModelNotFoundError, UploadConflictError, UploadIncompleteError, ValidationError } from "../domain/errors";
import type { StoredObject } from "../store/artifact-bucket";
import {
  artifactSummary,
  claimUnverifiedDiscard,
  claimedGeneration,
  isDiscarding,
  markVerified,
  type ArtifactState,
} from "../store/entities/artifact";
import { declaredDigest, type UploadPartsItem } from "../store/entities/upload-parts";
import { replaceIfStatus, toVersionView, type VersionItem } from "../store/entities/version";
import { unchanged, type GuardedWrite } from "../store/model-change";
import type { CompleteUploadInput } from "../schemas/artifact";
import type { VersionSelector, VersionView } from "../schemas/version";
import { discardLeaseEnd, discardObject } from "./artifact-discard";
import { uploadPlanOf } from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { requireVersion, rereadVersion } from "./resolve";
import { requireArtifact } from "./version-artifact";

/**
 * Finishes an upload and verifies the bytes; a settled version answers as it is (completing twice is harmless).
 * 1. the version must have an artifact (404) and be PENDING_UPLOAD (else: its answer, unchanged);
 * 2. multipart: the body names every part 1..partCount once (400), each declared (409);
 * 3. the object is there already (an earlier completion, or another version's upload of the same
 *    bytes), or S3 assembles the parts now, never over an existing object;
 * 4. verify the size, then the SHA-256: S3's stored full-object checksum when it reports one,
 *    else the registry streams the object and hashes it (multipart checksums are composite);
 * 5. READY (the reference marked verified, only if no deletion of the object was claimed or released
 *    since its reference was read before hashing: else 409) or FAILED with the reason: one
 *    conditional write with its history entry (VERSION_READY / VERSION_FAILED);
 * 6. FAILED bytes that no verification ever vouched for are deleted, so a re-upload can store the
 *    right ones: the deletion is claimed on the reference in that same write (never while a
 *    verification vouches for the bytes), then the object goes, then the claim is released.
 */
export async function completeUpload(
  deps: ArtifactDeps,
  name: string,
  selector: VersionSelector,
  input: CompleteUploadInput,
  who: Actor,
): Promise<VersionView> {
  const target = await requireVersion(deps, name, selector);
  const artifact = requireArtifact(target);
  if (target.status !== "PENDING_UPLOAD") return toVersionView(target);
  const hashedRef = await deps.store.getArtifactRef(artifact.sha256);
  const stored = await storedObject(deps, target, artifact, input);
  const failureReason = await verify(deps, artifact, stored);
  let discardClaim: number | undefined;
  const outcome = await deps.store.changeOrConflict(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    discardClaim = undefined;
    const latest = await rereadVersion(deps, target);
    // Another completion settled the version first: its outcome is the answer, nothing more is written.
    if (latest.status !== "PENDING_UPLOAD") return unchanged(latest);
    const after: VersionItem = {
      ...latest,
      status: failureReason ? "FAILED" : "READY",
      artifact: { ...requireArtifact(latest), failureReason },
      updatedAt: now,
    };
    const summary = artifactSummary(artifact);
    const refWrites: GuardedWrite<{ replacedWhileHashing: VersionItem }>[] = [];
    if (!failureReason) refWrites.push({ write: markVerified(artifact, hashedRef, now), conflict: { replacedWhileHashing: latest } });
    else {
      const ref = await deps.store.getArtifactRef(artifact.sha256);
      // Only the object this completion hashed: no deletion claimed or released since it read the reference.
      if (ref && ref.generation === hashedRef?.generation && !ref.verifiedAt && !isDiscarding(ref, now)) {
        refWrites.push({ write: claimUnverifiedDiscard(ref, now, discardLeaseEnd(now)) });
        discardClaim = claimedGeneration(ref);
      }
    }
    return {
      model: current,
      writes: [{ write: replaceIfStatus(after, latest.status) }, ...refWrites],
      history: [
        failureReason
          ? { action: "VERSION_FAILED", version: latest.version, artifact: summary, reason: failureReason }
          : { action: "VERSION_READY", version: latest.version, artifact: summary },
      ],
      result: () => after,
    };
  });
  if ("conflict" in outcome) throw replacedWhileHashing(outcome.conflict.replacedWhileHashing);
  if (discardClaim !== undefined) await discardObject(deps, artifact, discardClaim);
  return toVersionView(outcome.answer);
}

/** The object under the artifact's key once the upload is finished: there already, or assembled from the parts now. */
async function storedObject(
  deps: ArtifactDeps,
  version: VersionItem,
  artifact: ArtifactState,
  input: CompleteUploadInput,
): Promise<StoredObject> {
  const plan = uploadPlanOf(artifact);
  const parts = input?.parts ?? [];
  assertPartNumbers(
    plan,
    parts.map((p) => p.partNumber),
    "body.parts",
  );
  const completed =
    plan.method === "MULTIPART"
      ? completedParts(plan.partCount, parts, await deps.store.getUploadParts(version.model, version.version))
      : [];
  const existing = await deps.artifacts.head(artifact.key);
  if (existing) return existing;
  if (plan.method === "PUT" || !artifact.uploadId) {
    throw new UploadIncompleteError(
      `Nothing is stored for version ${version.version} of '${version.model}' yet: ` +
        `PUT the bytes to the upload URL first (POST …/artifact/upload gives a fresh one).`,
      { key: artifact.key },
    );
  }
  await deps.artifacts.completeMultipart(artifact.key, artifact.uploadId, completed);
  const stored = await deps.artifacts.head(artifact.key);
  if (!stored) throw new Error(`S3 completed the upload of ${artifact.key}, yet the object is not there`);
  return stored;
}

/** Every part 1..partCount exactly once, each with the digest its URL signed. */
function completedParts(
  partCount: number,
  parts: NonNullable<NonNullable<CompleteUploadInput>["parts"]>,
  declared: UploadPartsItem | undefined,
) {
  const { missing, duplicates } = partCoverage(
    partCount,
    parts.map((p) => p.partNumber),
  );
  if (missing.length > 0 || duplicates.length > 0) {
    const problems = [
      ...(missing.length ? [`missing parts ${listed(missing)}`] : []),
      ...(duplicates.length ? [`parts named twice: ${listed(duplicates)}`] : []),
    ];
    throw new ValidationError(
      `Completing needs each of the parts 1..${partCount} exactly once, with the ETag its PUT answered: ${problems.join("; ")}.`,
      [{ path: "body.parts", message: problems.join("; ") }],
    );
  }
  const withDigests = parts.map((p) => ({ ...p, sha256: declaredDigest(declared, p.partNumber) }));
  const undeclared = withDigests.filter((p) => p.sha256 === undefined).map((p) => p.partNumber);
  if (undeclared.length > 0) {
    throw new UploadIncompleteError(
      `Parts ${listed(undeclared)} were never declared, so no URL could have uploaded them: POST …/artifact/parts with their digests, ` +
        `upload them, then complete.`,
      { undeclared },
    );
  }
  return withDigests.sort((a, b) => a.partNumber - b.partNumber) as { partNumber: number; etag: string; sha256: string }[];
}

/** Why the stored bytes are not the declared ones, or undefined when they are; counted either way. */
async function verify(deps: ArtifactDeps, artifact: ArtifactState, stored: StoredObject): Promise<string | undefined> {
  const failureReason = await mismatch(deps, artifact, stored);
  deps.metrics?.record(failureReason ? "VerificationsFailed" : "VerificationsSucceeded");
  deps.metrics?.record("BytesVerified", stored.sizeBytes);
  return failureReason;
}

async function mismatch(deps: ArtifactDeps, artifact: ArtifactState, stored: StoredObject): Promise<string | undefined> {
  if (stored.sizeBytes !== artifact.sizeBytes)
    return `size mismatch: the stored object has ${stored.sizeBytes} bytes, ${artifact.sizeBytes} were declared`;
  const actual = stored.sha256 ?? (await hashedByUs(deps, artifact.key));
  if (actual !== artifact.sha256) return `sha256 mismatch: the stored bytes hash to ${actual}, ${artifact.sha256} was declared`;
  return undefined;
}

/** The object's SHA-256, streamed and hashed by the registry: the time it takes is what sizes the function's timeout. */
async function hashedByUs(deps: ArtifactDeps, key: string): Promise<string> {
  const started = performance.now();
  const { sha256 } = await deps.artifacts.digest(key);
  deps.metrics?.record("HashingSeconds", (performance.now() - started) / 1_000);
  return sha256;
}

/** The object hashed for this completion was claimed for deletion, or deleted, before the verification could vouch for it. */
function replacedWhileHashing(version: VersionItem): UploadConflictError {
  return new UploadConflictError(
    `Version ${version.version} of '${version.model}' was not verified: while its bytes were being checked, ` +
      `another upload of the same digest failed verification and the stored object is being removed. ` +
      `Upload the bytes again (POST /models/${version.model}/versions/${version.version}/artifact/upload gives fresh URLs), then complete.`,
    { status: version.status, reason: "ObjectReplacedDuringVerification" },
  );
}

const listed = (numbers: readonly number[]): string =>
  numbers.length <= 20 ? numbers.join(", ") : `${numbers.slice(0, 20).join(", ")} and ${numbers.length - 20} more`;

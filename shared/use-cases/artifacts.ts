import { assertPartNumbers, partCoverage } from "../domain/artifacts";
import { ArtifactNotFoundError, ModelNotFoundError, UploadConflictError, UploadIncompleteError, ValidationError, VersionInUseError, VersionNotFoundError, VersionNotReadyError } from "../domain/errors";
import { artifactSummary, claimUnverifiedDiscard, claimedGeneration, dropReference, isDiscarding, markVerified, type ArtifactState } from "../store/entities/artifact";
import { declaredDigest, deleteUploadParts, type UploadPartsItem } from "../store/entities/upload-parts";
import { newDatasetLinkItem } from "../store/entities/dataset-link";
import { semverLabelKey } from "../store/entities/semver-label";
import { toVersionView, versionKey, type VersionItem } from "../store/entities/version";
import type { HistoryDraft } from "../store/entities/history";
import type { GuardedWrite } from "../store/model-change";
import type { StoredObject } from "../store/artifact-bucket";
import type { CompleteUploadInput, DeletedVersionView, DownloadView, PartUrlsInput, RestartUploadInput, UploadView } from "../schemas/artifact";
import type { VersionSelector, VersionView } from "../schemas/version";
import type { Actor, ArtifactDeps } from "./deps";
import { declarePartsWrites, multipartUpload, readyAtOnce, uploadPlanOf, uploadPreparer } from "./artifact-uploads";
import { requireVersion } from "./versions";
import { FUNCTIONS } from "../routes";

/**
 * Fresh URLs for parts of a multipart upload: after the first ones expired, or for parts not declared at registration.
 * 1. the version must be PENDING_UPLOAD with a multipart upload, the part numbers within it;
 * 2. record the declared digests (merged onto earlier ones) in the model's change;
 * 3. presign a URL per part, each signing its part's digest.
 */
export async function requestPartUrls(deps: ArtifactDeps, name: string, selector: VersionSelector, input: PartUrlsInput, who: Actor): Promise<UploadView> {
  const target = await requireVersion(deps, name, selector);
  const artifact = requireArtifact(target);
  assertPartNumbers(uploadPlanOf(artifact), input.parts.map((p) => p.partNumber), "body.parts");
  const version = await deps.store.change(who, name, async (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const latest = await reread(deps, target);
    if (latest.status !== "PENDING_UPLOAD") throw notUploading(latest);
    return {
      model: current,
      // Invariant: the digests belong to the upload still in progress (a completion or restart in between re-plans).
      writes: [...declarePartsWrites(deps, name, latest.version, requireArtifact(latest), input.parts, await deps.store.getUploadParts(name, latest.version)), { write: unchanged(deps, latest) }],
      history: [],
      result: () => latest,
    };
  });
  return multipartUpload(deps, requireArtifact(version), input.parts);
}

/**
 * Starts a version's upload again with fresh URLs: PENDING_UPLOAD versions whose URLs expired, and
 * FAILED versions (back to PENDING_UPLOAD: the declaration stays, the bytes are sent again).
 * 1. READY versions keep their verified bytes: 409;
 * 2. if the bucket meanwhile holds these bytes, verified, the version is READY at once;
 * 3. otherwise a new presigned PUT, or a new multipart upload with URLs for the given parts
 *    (digests declared earlier stay valid: same bytes, same part size).
 */
export async function restartUpload(deps: ArtifactDeps, name: string, selector: VersionSelector, input: RestartUploadInput, who: Actor): Promise<VersionView & { upload: UploadView | null }> {
  const target = await requireVersion(deps, name, selector);
  const { uploadId: _uploadId, failureReason: _reason, ...declared } = requireArtifact(target);
  const parts = input.parts ?? [];
  assertPartNumbers(uploadPlanOf(declared), parts.map((p) => p.partNumber), "body.parts");
  const prepare = uploadPreparer(deps, declared, parts);
  let upload: UploadView | null = null;
  const version = await deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const latest = await reread(deps, target);
    if (latest.status === "READY") throw notUploading(latest);
    const prepared = await prepare();
    upload = prepared.upload;
    const after: VersionItem = { ...latest, artifact: prepared.artifact, status: upload ? "PENDING_UPLOAD" : "READY", updatedAt: now };
    const history: HistoryDraft[] = upload ? statusChange(latest, after) : readyAtOnce(latest.version, prepared);
    return {
      model: current,
      writes: [{ write: replace(deps, after, latest) }, ...declarePartsWrites(deps, name, latest.version, prepared.artifact, parts, await deps.store.getUploadParts(name, latest.version))],
      history,
      result: () => after,
    };
  });
  return { ...toVersionView(version), upload };
}

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
export async function completeUpload(deps: ArtifactDeps, name: string, selector: VersionSelector, input: CompleteUploadInput, who: Actor): Promise<VersionView> {
  const target = await requireVersion(deps, name, selector);
  const artifact = requireArtifact(target);
  if (target.status !== "PENDING_UPLOAD") return toVersionView(target);
  const hashedRef = await deps.store.getArtifactRef(artifact.sha256);
  const stored = await storedObject(deps, target, artifact, input);
  const failureReason = await verify(deps, artifact, stored);
  let discardClaim: number | undefined;
  const settle = deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    discardClaim = undefined;
    const latest = await reread(deps, target);
    if (latest.status !== "PENDING_UPLOAD") throw new SettledElsewhere(latest);
    const after: VersionItem = { ...latest, status: failureReason ? "FAILED" : "READY", artifact: { ...requireArtifact(latest), failureReason }, updatedAt: now };
    const summary = artifactSummary(artifact);
    const refWrites: GuardedWrite[] = [];
    if (!failureReason) refWrites.push({ write: markVerified(deps.store.tableName, artifact, hashedRef, now), onConflict: () => replacedWhileHashing(latest) });
    else {
      const ref = await deps.store.getArtifactRef(artifact.sha256);
      if (ref && !ref.verifiedAt && !isDiscarding(ref, now)) {
        refWrites.push({ write: claimUnverifiedDiscard(deps.store.tableName, ref, now, discardLeaseEnd(now)) });
        discardClaim = claimedGeneration(ref);
      }
    }
    return {
      model: current,
      writes: [{ write: replace(deps, after, latest) }, ...refWrites],
      history: [failureReason ? { action: "VERSION_FAILED", version: latest.version, artifact: summary, reason: failureReason } : { action: "VERSION_READY", version: latest.version, artifact: summary }],
      result: () => after,
    };
  });
  const settled = await settle.catch((error: unknown) => {
    if (error instanceof SettledElsewhere) return error.version;
    throw error;
  });
  if (discardClaim !== undefined) await discardObject(deps, artifact, discardClaim);
  return toVersionView(settled);
}

/** A presigned GET for a READY version's bytes (15 minutes), with what to check them against. */
export async function getArtifactDownload(deps: ArtifactDeps, name: string, selector: VersionSelector): Promise<DownloadView> {
  const version = await requireVersion(deps, name, selector);
  const artifact = requireArtifact(version);
  if (version.status !== "READY") throw new VersionNotReadyError(name, version.version, version.status);
  const { url, expiresAt } = await deps.artifacts.presignGet(artifact.key, artifact.filename, artifact.contentType);
  return { url, expiresAt, sha256: artifact.sha256, sizeBytes: artifact.sizeBytes, filename: artifact.filename };
}

/**
 * Deletes an Archived version (admin).
 * 1. only Archived versions that no alias names (409 VersionInUse);
 * 2. one transaction: the version, its label, dataset links and part digests go, the artifact's
 *    reference count drops (conditioned on the ref as read), VERSION_DELETED is recorded; the last
 *    reference claims the object's deletion in the same write;
 * 3. after the commit, the claimed object is deleted and the claim released.
 */
export async function deleteVersion(deps: ArtifactDeps, name: string, selector: VersionSelector, who: Actor): Promise<DeletedVersionView> {
  const target = await requireVersion(deps, name, selector);
  let discardClaim: number | undefined;
  const deleted = await deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const version = await reread(deps, target);
    assertDeletable(version, Object.entries(current.aliases).filter(([, v]) => v === version.version).map(([alias]) => alias));
    const ref = version.artifact && (await deps.store.getArtifactRef(version.artifact.sha256));
    const dropped = ref ? dropReference(deps.store.tableName, ref, now, discardLeaseEnd(now)) : undefined;
    discardClaim = ref && dropped?.claimed ? claimedGeneration(ref) : undefined;
    return {
      model: current,
      writes: [...versionItemDeletes(deps, version), ...(dropped ? [{ write: dropped.write }] : [])],
      history: [{ action: "VERSION_DELETED", version: version.version, semver: version.semver, artifact: version.artifact && artifactSummary(version.artifact) }],
      result: () => version,
    };
  });
  const claim = discardClaim;
  if (claim !== undefined && deleted.artifact) await discardObject(deps, deleted.artifact, claim);
  return { model: name, version: deleted.version, deleted: true, artifactDeleted: claim !== undefined };
}

function requireArtifact(version: VersionItem): ArtifactState {
  if (!version.artifact) throw new ArtifactNotFoundError(version.model, version.version, version.source);
  return version.artifact;
}

/** The version as it is now, read inside a change's plan (which re-runs on conflict). */
async function reread(deps: ArtifactDeps, target: VersionItem): Promise<VersionItem> {
  const latest = await deps.store.getVersion(target.model, target.version);
  if (!latest) throw new VersionNotFoundError(target.model, target.version);
  return latest;
}

function notUploading(version: VersionItem): UploadConflictError {
  const what = `Version ${version.version} of '${version.model}'`;
  if (version.status === "READY") return new UploadConflictError(`${what} is READY: its bytes are verified and stay as they are. Register a new version for other bytes.`, { status: version.status });
  return new UploadConflictError(`${what} is FAILED (${version.artifact?.failureReason ?? "verification failed"}). Start the upload again with POST /models/${version.model}/versions/${version.version}/artifact/upload.`, { status: version.status });
}

function statusChange(before: VersionItem, after: VersionItem): HistoryDraft[] {
  if (before.status === after.status) return [];
  return [{ action: "VERSION_UPDATED", version: after.version, changes: { status: { from: before.status, to: after.status } } }];
}

/** Out of a completion's plan when another completion settled the version first: its outcome is the answer, nothing more is written. */
class SettledElsewhere extends Error {
  constructor(readonly version: VersionItem) {
    super(`Version ${version.version} of '${version.model}' was settled by another completion`);
  }
}

/** Replaces the version item, conditioned on the status that was read (two completions cannot both settle it). */
function replace(deps: ArtifactDeps, after: VersionItem, seen: VersionItem): GuardedWrite["write"] {
  return { Put: { TableName: deps.store.tableName, Item: after, ConditionExpression: "#status = :seen", ExpressionAttributeNames: { "#status": "status" }, ExpressionAttributeValues: { ":seen": seen.status } } };
}

/** Checks that the version is still as read: PENDING_UPLOAD with the same upload. */
function unchanged(deps: ArtifactDeps, seen: VersionItem): GuardedWrite["write"] {
  return {
    ConditionCheck: {
      TableName: deps.store.tableName,
      Key: versionKey(seen.model, seen.version),
      ConditionExpression: "#status = :pending AND artifact.uploadId = :uploadId",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pending": "PENDING_UPLOAD", ":uploadId": seen.artifact?.uploadId },
    },
  };
}

/** The object under the artifact's key once the upload is finished: there already, or assembled from the parts now. */
async function storedObject(deps: ArtifactDeps, version: VersionItem, artifact: ArtifactState, input: CompleteUploadInput): Promise<StoredObject> {
  const plan = uploadPlanOf(artifact);
  const parts = input?.parts ?? [];
  assertPartNumbers(plan, parts.map((p) => p.partNumber), "body.parts");
  const completed = plan.method === "MULTIPART" ? completedParts(plan.partCount, parts, await deps.store.getUploadParts(version.model, version.version)) : [];
  const existing = await deps.artifacts.head(artifact.key);
  if (existing) return existing;
  if (plan.method === "PUT" || !artifact.uploadId) {
    throw new UploadIncompleteError(`Nothing is stored for version ${version.version} of '${version.model}' yet: PUT the bytes to the upload URL first (POST …/artifact/upload gives a fresh one).`, { key: artifact.key });
  }
  await deps.artifacts.completeMultipart(artifact.key, artifact.uploadId, completed);
  const stored = await deps.artifacts.head(artifact.key);
  if (!stored) throw new Error(`S3 completed the upload of ${artifact.key}, yet the object is not there`);
  return stored;
}

/** Every part 1..partCount exactly once, each with the digest its URL signed. */
function completedParts(partCount: number, parts: NonNullable<NonNullable<CompleteUploadInput>["parts"]>, declared: UploadPartsItem | undefined) {
  const { missing, duplicates } = partCoverage(partCount, parts.map((p) => p.partNumber));
  if (missing.length > 0 || duplicates.length > 0) {
    const problems = [...(missing.length ? [`missing parts ${listed(missing)}`] : []), ...(duplicates.length ? [`parts named twice: ${listed(duplicates)}`] : [])];
    throw new ValidationError(`Completing needs each of the parts 1..${partCount} exactly once, with the ETag its PUT answered: ${problems.join("; ")}.`, [{ path: "body.parts", message: problems.join("; ") }]);
  }
  const withDigests = parts.map((p) => ({ ...p, sha256: declaredDigest(declared, p.partNumber) }));
  const undeclared = withDigests.filter((p) => p.sha256 === undefined).map((p) => p.partNumber);
  if (undeclared.length > 0) {
    throw new UploadIncompleteError(`Parts ${listed(undeclared)} were never declared, so no URL could have uploaded them: POST …/artifact/parts with their digests, upload them, then complete.`, { undeclared });
  }
  return withDigests.sort((a, b) => a.partNumber - b.partNumber) as { partNumber: number; etag: string; sha256: string }[];
}

/** Why the stored bytes are not the declared ones, or undefined when they are. */
async function verify(deps: ArtifactDeps, artifact: ArtifactState, stored: StoredObject): Promise<string | undefined> {
  if (stored.sizeBytes !== artifact.sizeBytes) return `size mismatch: the stored object has ${stored.sizeBytes} bytes, ${artifact.sizeBytes} were declared`;
  const actual = stored.sha256 ?? (await deps.artifacts.digest(artifact.key)).sha256;
  if (actual !== artifact.sha256) return `sha256 mismatch: the stored bytes hash to ${actual}, ${artifact.sha256} was declared`;
  return undefined;
}

/**
 * How long a claim to delete an object holds: longer than the artifacts function may run, so a
 * claimant past it is dead, and its claim may be taken over (the object deleted again, or verified).
 */
const DISCARD_LEASE_MS = (FUNCTIONS.artifacts.timeoutSeconds + 60) * 1000;
const discardLeaseEnd = (now: string): string => new Date(Date.parse(now) + DISCARD_LEASE_MS).toISOString();

/** Deletes the object under our committed claim, then releases the claim. */
async function discardObject(deps: ArtifactDeps, artifact: ArtifactState, claim: number): Promise<void> {
  await deps.artifacts.delete(artifact.key);
  await deps.store.releaseArtifactDiscard(artifact.sha256, claim);
}

/** The object hashed for this completion was claimed for deletion, or deleted, before the verification could vouch for it. */
function replacedWhileHashing(version: VersionItem): UploadConflictError {
  return new UploadConflictError(
    `Version ${version.version} of '${version.model}' was not verified: while its bytes were being checked, another upload of the same digest failed verification and the stored object is being removed. ` +
      `Upload the bytes again (POST /models/${version.model}/versions/${version.version}/artifact/upload gives fresh URLs), then complete.`,
    { status: version.status, reason: "ObjectReplacedDuringVerification" },
  );
}

function assertDeletable(version: VersionItem, aliases: string[]): void {
  const what = `Version ${version.version} of '${version.model}'`;
  if (version.stage !== "Archived") {
    throw new VersionInUseError(`${what} is in ${version.stage}: only Archived versions can be deleted. Archive it first (POST /models/${version.model}/versions/${version.version}/transitions).`, { stage: version.stage });
  }
  if (aliases.length > 0) throw new VersionInUseError(`${what} is the target of alias ${aliases.join(", ")}: move or delete the alias first.`, { aliases });
}

/** The version item and every item that exists because of it. */
function versionItemDeletes(deps: ArtifactDeps, version: VersionItem): GuardedWrite[] {
  const table = deps.store.tableName;
  const remove = (Key: { pk: string; sk: string }): GuardedWrite => ({ write: { Delete: { TableName: table, Key } } });
  const datasetIds = new Set(version.lineage.datasets.map((d) => d.id));
  return [
    // Invariant: only an Archived version is deleted (a concurrent restore re-plans).
    { write: { Delete: { TableName: table, Key: versionKey(version.model, version.version), ConditionExpression: "#stage = :archived", ExpressionAttributeNames: { "#stage": "stage" }, ExpressionAttributeValues: { ":archived": "Archived" } } } },
    ...(version.semver ? [remove(semverLabelKey(version.model, version.semver))] : []),
    ...[...datasetIds].map((datasetId) => {
      const { pk, sk } = newDatasetLinkItem({ model: version.model, version: version.version, datasetId });
      return remove({ pk, sk });
    }),
    ...(version.artifact?.partCount ? [{ write: deleteUploadParts(table, version.model, version.version) }] : []),
  ];
}

const listed = (numbers: readonly number[]): string => (numbers.length <= 20 ? numbers.join(", ") : `${numbers.slice(0, 20).join(", ")} and ${numbers.length - 20} more`);

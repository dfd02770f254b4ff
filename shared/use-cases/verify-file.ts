import { randomUUID } from "node:crypto";
import type { VerificationSettings } from "../config";
import { MiB } from "../domain/artifacts";
import { ModelNotFoundError } from "../domain/errors";
import type { VerificationTask } from "../schemas/verification-task";
import { startedByTask, type FileVerificationItem } from "../store/entities/file-verification";
import { verificationStartedAtOf, withUploadState } from "../store/entities/manifest";
import { replaceIfStatus, type VersionItem } from "../store/entities/version";
import { unchanged } from "../store/model-change";
import { ObjectGoneError, type ArtifactReads } from "../store/artifact-reads";
import type { FileVerifications } from "../store/file-verifications";
import { markVerified } from "../store/entities/artifact";
import { continueDigest, type DigestStep } from "../store/ranged-digest";
import type { ArtifactDeps } from "./deps";
import { rereadVersion } from "./resolve";
import { sameVerification, settleVersion, sizeMismatchReason, type CheckedObject } from "./settle-version";

/** The verifier's dependencies: the artifacts', how to read and hash, and where a file's progress is saved. */
export interface VerifierDeps extends ArtifactDeps {
  readonly artifactReads: ArtifactReads;
  readonly verification: VerificationSettings;
  readonly fileVerifications: FileVerifications;
}

/**
 * What one task did: nothing (its verification is over or was started again: `stale`; another task
 * of it moved on first: `superseded`), took the file's digest from S3's full-object checksum
 * (`checked`), hashed a stretch and sent the follow-up (`continued`), or hashed the file to its end
 * (`hashed`; `checked` and `hashed` whether or not that settled the version), or found the object
 * deleted under it (`gone`: the version waits for its bytes again).
 */
export type TaskOutcome = "stale" | "superseded" | "checked" | "continued" | "hashed" | "gone";

/**
 * One verification task: checks one file of a VERIFYING version, or hashes its next stretch. Tasks
 * arrive at least once, maybe twice at a time: every step is conditioned on the progress it started from.
 * 1. the version must be VERIFYING in this task's verification, the file's progress saved for it, or
 *    written now from a chunked manifest's first task (else stale);
 * 2. nothing hashed yet, and not uploaded in parts (S3 keeps a composite checksum of those): one
 *    HEAD; when S3 reports the object's full-object SHA-256 (a single PUT's: S3 refused bytes other
 *    than the digest its URL signed), that is the file's digest, recorded as a finished hash's is
 *    (step 5), no byte read;
 * 3. hash on from the saved offset with parallel ranged GETs, saving progress every `checkpointBytes`,
 *    until the file ends or the time budget is spent; a fresh file that fits the budget at the assured
 *    rate is hashed in one go instead, faster and saving nothing (a redelivery hashes it from byte 0 again);
 * 4. budget spent: save the hash state at the new offset, then send the follow-up task;
 * 5. file hashed: record its digest; a mismatch fails the version, naming the file with the declared
 *    and the actual digest; once every file matches, the version is READY (settleVersion; a chunked
 *    manifest's files are each counted on its tally, and the last one counted settles it).
 */
export async function verifyFile(deps: VerifierDeps, task: VerificationTask): Promise<TaskOutcome> {
  const version = await deps.store.getVersion(task.model, task.version);
  if (!version || !inVerification(version, task)) return "stale";
  const file = await fileInVerification(deps, task);
  if (!file) return "stale";
  if (file.actualSha256 !== undefined) {
    await settleIfDone(deps, version, file);
    return "hashed";
  }
  const progress = new FileProgress(deps, file);
  const step = await checkOrHash(deps, file, progress).catch(async (error: unknown) => {
    if (!(error instanceof ObjectGoneError)) throw error;
    await uploadAgain(deps, file, version);
    return "gone" as const;
  });
  if (step === "gone") return step;
  if (!step) return "superseded";
  if (!step.done) {
    if (!(await progress.advance(step))) return "superseded";
    await deps.verifications.send([task]);
    return "continued";
  }
  if (!(await progress.advance({ actualSha256: step.sha256 }))) return "superseded";
  await settleIfDone(deps, version, { ...file, actualSha256: step.sha256 });
  return step.checkedByS3 ? "checked" : "hashed";
}

/**
 * The file's digest from S3's full-object checksum, on its first step (nothing hashed yet) of a file
 * not uploaded in parts (a multipart object's checksum is composite: no HEAD looks for it); else
 * (a local S3 keeps none, or hashing is under way) the next stretch hashed. Undefined when another
 * task moved the file on meanwhile.
 */
async function checkOrHash(
  deps: VerifierDeps,
  file: FileVerificationItem,
  progress: FileProgress,
): Promise<(DigestStep & { checkedByS3?: true }) | undefined> {
  if (file.offset === 0 && file.state === undefined && !file.uploadedInParts) {
    const stored = await deps.artifactReads.head(file.key);
    if (!stored) throw new ObjectGoneError(file.key);
    if (stored.sha256 !== undefined) return { done: true, sha256: stored.sha256, checkedByS3: true };
  }
  return hashStretch(deps, file, progress);
}

const inVerification = (version: VersionItem, task: VerificationTask): boolean =>
  version.status === "VERIFYING" && verificationStartedAtOf(version) === task.startedAt;

/**
 * The file's progress in this task's verification: as saved, or written now by a chunked manifest's
 * first task that finds none (or an earlier verification's); undefined when a later one holds it.
 */
async function fileInVerification(deps: VerifierDeps, task: VerificationTask): Promise<FileVerificationItem | undefined> {
  const saved = await deps.fileVerifications.get(task.model, task.version, task.path, task.index);
  if (saved?.startedAt === task.startedAt) return saved;
  if (!task.start || (saved && saved.startedAt > task.startedAt)) return undefined;
  return deps.fileVerifications.start(startedByTask({ ...task, start: task.start }));
}

/** A file's progress as this task last saved it: each save is conditioned on the one before. */
class FileProgress {
  /** This run of the task: its saves are told from a duplicate's. */
  private readonly run = randomUUID();

  constructor(
    private readonly deps: VerifierDeps,
    private seen: FileVerificationItem,
  ) {}

  async advance(step: { offset: number; state: string } | { actualSha256: string }): Promise<boolean> {
    const next = "actualSha256" in step ? { actualSha256: step.actualSha256 } : { offset: step.offset, state: step.state };
    const now = new Date().toISOString();
    if (!(await this.deps.fileVerifications.advance(this.seen, next, now, this.run))) return false;
    this.seen = { ...this.seen, ...next, updatedAt: now };
    return true;
  }
}

/** Another task saved progress of this file first: this one stops, that one goes on. */
class Superseded extends Error {}

/** One stretch of hashing within the time budget, or undefined when another task moved the file on meanwhile. */
async function hashStretch(deps: VerifierDeps, file: FileVerificationItem, progress: FileProgress): Promise<DigestStep | undefined> {
  const { chunkBytes, concurrency, budgetSeconds, checkpointBytes, assuredMiBps } = deps.verification;
  const started = performance.now();
  const deadline = started + budgetSeconds * 1000;
  try {
    const sizeBytes = file.storedSizeBytes ?? file.sizeBytes;
    return await continueDigest((start, end) => deps.artifactReads.readRange(file.key, start, end), sizeBytes, file, {
      chunkBytes,
      concurrency,
      budgetSpent: () => performance.now() >= deadline,
      checkpointBytes,
      inOneGo: file.offset === 0 && file.state === undefined && sizeBytes <= assuredMiBps * MiB * budgetSeconds,
      checkpoint: async (paused) => {
        if (!(await progress.advance(paused))) throw new Superseded();
      },
    });
  } catch (error) {
    if (error instanceof Superseded) return undefined;
    throw error;
  } finally {
    deps.metrics?.record("HashingSeconds", (performance.now() - started) / 1_000);
  }
}

/**
 * A file's digest is known: its mismatch, or a stored object of another size, fails the version at
 * once; when every file of the verification matches, the version is READY. The READY commit is
 * conditioned on the reference generation read when the verification started, so bytes claimed for
 * deletion meanwhile are never vouched for.
 */
async function settleIfDone(deps: VerifierDeps, version: VersionItem, file: FileVerificationItem): Promise<void> {
  const who = { actor: file.actor, requestId: file.requestId };
  const failure = failureOf(file);
  if (failure) {
    await settleVersion(deps, who, version, { checked: [{ ...checkedObject(file), ...failure }] });
    return;
  }
  if (version.manifest?.chunks) return countTowardsReady(deps, version, file);
  const files = (await deps.store.listFileVerifications(version.model, version.version)).filter((f) => f.startedAt === file.startedAt);
  if (files.some((f) => failureOf(f) !== undefined)) return;
  const settled = await settleVersion(deps, who, version, { checked: files.map(checkedObject) });
  if ("replacedWhileHashing" in settled) await uploadAgain(deps, file, settled.replacedWhileHashing);
}

/**
 * A chunked manifest's file matched: its object is marked verified and the file counted on the
 * version's tally, in one write (a redelivered task counts nothing twice); the file that completes
 * the count settles READY, every object being marked already. An object whose deletion was claimed
 * since its reference was read sends the version back to wait for its bytes.
 */
async function countTowardsReady(deps: VerifierDeps, version: VersionItem, file: FileVerificationItem): Promise<void> {
  const who = { actor: file.actor, requestId: file.requestId };
  const counted = await deps.fileVerifications.countVerified(file, markVerified(file, file.refGeneration, new Date().toISOString()));
  if (counted === "replaced") await uploadAgain(deps, file, version);
  if (counted === "stale" || counted === "replaced") return;
  const tally = await deps.store.getVerificationTally(version.model, version.version);
  if (tally?.startedAt === file.startedAt && tally.filesVerified >= tally.filesTotal)
    await settleVersion(deps, who, version, { checked: [], bytesCounted: tally.bytesVerified });
}

const checkedObject = ({ sha256, key, sizeBytes, refGeneration }: FileVerificationItem): CheckedObject => ({
  sha256,
  key,
  sizeBytes,
  refGeneration,
});

/** Why a hashed file fails its version: other bytes (deleted), or the digest's bytes of another size than declared (kept). */
function failureOf(file: FileVerificationItem): Pick<CheckedObject, "failureReason" | "holdsDigest"> | undefined {
  if (file.actualSha256 !== file.sha256)
    return { failureReason: `${file.path}: sha256 mismatch: ${file.sha256} was declared, the stored bytes hash to ${file.actualSha256}` };
  if (file.storedSizeBytes === undefined) return undefined;
  return { failureReason: sizeMismatchReason(file.path, file.sizeBytes, file.storedSizeBytes), holdsDigest: true };
}

/**
 * The bytes were claimed for deletion, or deleted, while they were being hashed (another upload of
 * the same digest failed): nothing vouches for what is stored now. The version waits for its bytes again.
 */
async function uploadAgain(deps: VerifierDeps, file: FileVerificationItem, checked: VersionItem): Promise<void> {
  const who = { actor: file.actor, requestId: file.requestId };
  await deps.store.change(who, checked.model, async (current, now) => {
    if (!current) throw new ModelNotFoundError(checked.model);
    const latest = await rereadVersion(deps, checked);
    if (!sameVerification(latest, checked)) return unchanged(undefined);
    const failureReason =
      "While its bytes were being verified, another upload of the same digest failed verification and the stored object was removed. " +
      `Upload the bytes again (POST /models/${latest.model}/versions/${latest.version}/artifact/upload gives fresh URLs), then complete.`;
    const after = withUploadState<VersionItem>({ ...latest, status: "PENDING_UPLOAD", updatedAt: now }, { failureReason });
    return { model: current, writes: [{ write: replaceIfStatus(after, latest.status) }], history: [], result: () => undefined };
  });
}

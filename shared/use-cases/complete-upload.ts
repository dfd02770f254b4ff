import { assertPartNumbers, partCoverage } from "../domain/artifacts";
import { ModelNotFoundError, UploadConflictError, UploadIncompleteError, ValidationError } from "../domain/errors";
import type { StoredObject } from "../store/artifact-bucket";
import type { ArtifactRefItem, ArtifactState } from "../store/entities/artifact";
import {
  MAX_FILES_PER_COMMIT,
  isManifestComplete,
  verificationStartedAtOf,
  withUploadState,
  type VersionFile,
} from "../store/entities/manifest";
import {
  firstTaskOf,
  newFileVerification,
  putFileVerification,
  putVerificationTally,
  verificationTaskOf,
  type FileVerificationItem,
} from "../store/entities/file-verification";
import { declaredDigest, type UploadPartsItem } from "../store/entities/upload-parts";
import { replaceIfStatus, type VersionItem } from "../store/entities/version";
import type { VerificationTask } from "../schemas/verification-task";
import { unchanged } from "../store/model-change";
import type { CompleteUploadInput } from "../schemas/artifact";
import type { VersionSelector, VersionView } from "../schemas/version";
import { HEADS_AT_ONCE, uploadPlanOf } from "./artifact-uploads";
import { VERIFICATION_STALLED_AFTER_MS } from "../functions";
import type { Actor, ArtifactDeps } from "./deps";
import { requireVersion, rereadVersion } from "./resolve";
import { settleVersion, sizeMismatchReason, type CheckedObject } from "./settle-version";
import { describeVersion } from "./verification-progress";
import { requireUploadedFiles } from "./version-artifact";
import { loadFilesToUpload } from "./manifest-files";
import { mapConcurrently } from "../runs";

/**
 * Finishes an upload and starts verifying the bytes; a version past PENDING_UPLOAD answers as it is
 * (completing twice is harmless; a VERIFYING version's answer carries its progress).
 * 1. the version must have uploaded files (404) and be PENDING_UPLOAD (else: its answer, unchanged;
 *    VERIFYING files whose progress stalled longer than a verifier task may run get their task again),
 *    its whole manifest written (a registration that stopped midway: 409, never completed);
 * 2. multipart: the body names every part 1..partCount once (a single artifact: 400; a file of a
 *    manifest: 409 naming it, duplicates 400), each declared (409);
 * 3. each object to upload is there already (an earlier completion, or another version's upload of
 *    the same bytes; up to HEADS_AT_ONCE objects are HEADed, more read from listing pages, storedObjects),
 *    or S3 assembles the parts now, never over an existing object; one missing: 409;
 * 4. each size must be the declared one, else FAILED naming the file (at once, unless other versions
 *    declare the same bytes and only hashing tells whether the object holds them: see sizeVerdict); when a HEAD reported every
 *    object's full SHA-256 (single PUTs whose URLs signed it), or another version's verification proved
 *    the bytes since this one registered (their reference is verified), that settles READY or FAILED at once too (settleVersion),
 *    unless READY would mark more objects than one commit holds (a chunked manifest's): the verifier counts those one by one;
 * 5. otherwise VERIFYING: the version and one verification per object in one conditional write, then
 *    a task per object still to check on the verification queue (verifyFile checks them outside the
 *    request); a manifest written in chunks: the version and its tally, then a first task per object,
 *    which writes that object's verification when the verifier takes it.
 */
export async function completeUpload(
  deps: ArtifactDeps,
  name: string,
  selector: VersionSelector,
  input: CompleteUploadInput,
  who: Actor,
): Promise<VersionView> {
  const target = await requireVersion(deps, name, selector);
  requireUploadedFiles(target);
  if (target.status === "VERIFYING") await resendStalled(deps, target, who);
  if (target.status !== "PENDING_UPLOAD") return describeVersion(deps, target);
  assertPartsWhereTheyBelong(target, input);
  assertManifestWritten(target);
  const files = await loadFilesToUpload(deps, target);
  const refs = await deps.store.getArtifactRefs(files.map((file) => file.sha256));
  const stored = target.artifact
    ? await storedArtifact(deps, target, target.artifact, files, input)
    : await storedFiles(deps, target, files, input);
  const findings = stored.map(({ file, object }): Finding => {
    const ref = refs.get(file.sha256);
    const storedSize = object.sizeBytes === file.sizeBytes ? {} : { storedSizeBytes: object.sizeBytes };
    return { file, refGeneration: ref?.generation, known: knownVerdict(file, object, ref), ...storedSize };
  });
  const failed = findings.filter(({ known }) => known?.failureReason !== undefined);
  if (failed.length === 0 && (findings.some(({ known }) => known === undefined) || findings.length > MAX_FILES_PER_COMMIT))
    return startVerification(deps, who, target, findings);
  const checked = (failed.length > 0 ? failed : findings).map(({ file, refGeneration, known }) => ({ ...file, refGeneration, ...known }));
  const settled = await settleVersion(deps, who, target, { checked });
  if ("replacedWhileHashing" in settled) throw replacedWhileHashing(settled.replacedWhileHashing);
  return describeVersion(deps, settled.version);
}

/** 409 UploadIncomplete for a version whose registration stopped before its whole manifest was written: nothing of it may be verified. */
function assertManifestWritten(version: VersionItem): void {
  if (!version.manifest || isManifestComplete(version.manifest)) return;
  const { written = 0, starts = [] } = version.manifest.chunks ?? {};
  throw new UploadIncompleteError(
    `The registration of version ${version.version} of '${version.model}' stopped after ${written} of its ${starts.length} manifest chunks were written: ` +
      `it can never be completed. Delete it (DELETE /models/${version.model}/versions/${version.version}) and register the files again.`,
    { chunksWritten: written, chunksTotal: starts.length },
  );
}

/** A single artifact names its parts in `parts`, a multi-file version each file's in `files` (400 otherwise). */
function assertPartsWhereTheyBelong(version: VersionItem, input: CompleteUploadInput): void {
  const [misplaced, shape] = version.artifact
    ? (["files", "parts: [{ partNumber, etag }]"] as const)
    : (["parts", "files: [{ path, parts }]"] as const);
  if (!input?.[misplaced]?.length) return;
  const what = version.artifact ? "a version of one artifact" : "a multi-file version";
  throw new ValidationError(`Completing ${what} names its parts in ${shape}.`, [
    { path: `body.${misplaced}`, message: `${what} names its parts in ${shape}` },
  ]);
}

/** What completing tells of an object without hashing it: nothing wrong, or why the version fails. */
type KnownVerdict = Pick<CheckedObject, "failureReason" | "holdsDigest">;

/** One object to upload, and what completing found out about it before any hashing. */
interface Finding {
  readonly file: VersionFile;
  readonly refGeneration: number | undefined;
  readonly known: KnownVerdict | undefined;
  /** The stored object's size, when it is not the declared one. */
  readonly storedSizeBytes?: number;
}

/**
 * What the stored object's size, S3's own checksum or an earlier verification of these bytes (another
 * version's, done since this one registered) already tell, or undefined when only hashing it can. The
 * earlier verification holds only while nothing claimed the object's deletion: settling is conditioned
 * on the reference's generation as read here.
 */
function knownVerdict(file: VersionFile, stored: StoredObject, ref: ArtifactRefItem | undefined): KnownVerdict | undefined {
  if (stored.sizeBytes !== file.sizeBytes) return sizeVerdict(file, stored, ref);
  if (stored.sha256 === undefined) return ref?.verifiedAt !== undefined && ref.sizeBytes === file.sizeBytes ? {} : undefined;
  if (stored.sha256 === file.sha256) return {};
  return {
    failureReason: `${file.path}: sha256 mismatch: ${file.sha256} was declared, the stored bytes hash to ${stored.sha256}`,
  };
}

/**
 * The stored object has another size than declared: the version fails, but the bytes may still be the
 * digest's, uploaded by another version that declared them right, and are deleted only when they are
 * not. S3's full-object SHA-256 tells at once; without it, bytes no other version declares go at once
 * (nobody else waits for them), and bytes another version declares are hashed first (undefined).
 */
function sizeVerdict(file: VersionFile, stored: StoredObject, ref: ArtifactRefItem | undefined): KnownVerdict | undefined {
  const failureReason = sizeMismatchReason(file.path, file.sizeBytes, stored.sizeBytes);
  if (stored.sha256 !== undefined) return { failureReason, holdsDigest: stored.sha256 === file.sha256 };
  return (ref?.refCount ?? 0) > 1 ? undefined : { failureReason };
}

/**
 * VERIFYING, with each object's verification starting at byte 0 (or done, when S3 vouched for it),
 * then the tasks of those still to hash sent. A completion that finds the version moved on first
 * sends nothing: the one that moved it sent the tasks.
 */
async function startVerification(deps: ArtifactDeps, who: Actor, target: VersionItem, findings: readonly Finding[]): Promise<VersionView> {
  const chunked = target.manifest?.chunks !== undefined;
  let started: FileVerificationItem[] = [];
  const answer = await deps.store.change(who, target.model, async (current, now) => {
    if (!current) throw new ModelNotFoundError(target.model);
    started = [];
    const latest = await rereadVersion(deps, target);
    if (latest.status !== "PENDING_UPLOAD") return unchanged(latest);
    const after = withUploadState<VersionItem>(
      { ...latest, status: "VERIFYING", updatedAt: now },
      { failureReason: undefined, verificationStartedAt: now },
    );
    const verifications = findings.map(({ file, refGeneration, known, storedSizeBytes }) =>
      newFileVerification({
        ...verificationOf(latest, file, who, now),
        refGeneration,
        storedSizeBytes,
        actualSha256: known && file.sha256,
      }),
    );
    const alongside = chunked
      ? [putVerificationTally(latest.model, latest.version, now, verifications)]
      : verifications.map(putFileVerification);
    return {
      model: current,
      writes: [replaceIfStatus(after, latest.status), ...alongside].map((write) => ({ write })),
      history: [],
      result: () => {
        started = verifications;
        return after;
      },
    };
  });
  // A chunked manifest's files are too many to write beside the answer: each first task writes its file's progress, S3-vouched ones too (verifyFile).
  await deps.verifications.send(
    chunked ? started.map(firstTaskOf) : started.filter((file) => file.actualSha256 === undefined).map(verificationTaskOf),
  );
  return describeVersion(deps, answer);
}

/**
 * Sends again the tasks of files whose verification stalled: dead-lettered after failing every
 * receive, or lost with a local queue that stopped. Progress saved meanwhile is kept.
 */
async function resendStalled(deps: ArtifactDeps, version: VersionItem, who: Actor): Promise<void> {
  const startedAt = verificationStartedAtOf(version);
  const stalledBefore = Date.now() - VERIFICATION_STALLED_AFTER_MS;
  const files = (await deps.store.listFileVerifications(version.model, version.version)).filter((file) => file.startedAt === startedAt);
  const stalled = files.filter((file) => Date.parse(file.updatedAt) < stalledBefore);
  // The completion that started it ran at most an API request's time: one this old, nothing moving since, stopped for good.
  const abandoned = startedAt !== undefined && Date.parse(startedAt) < stalledBefore && stalled.length === files.length;
  const unstarted = version.manifest?.chunks && abandoned ? await unstartedTasks(deps, version, files, who) : [];
  await deps.verifications.send([...stalled.map(verificationTaskOf), ...unstarted]);
}

/** A chunked manifest's first tasks of the files whose progress no task wrote (lost with a queue that stopped, or never sent): from byte 0. */
async function unstartedTasks(
  deps: ArtifactDeps,
  version: VersionItem,
  started: readonly FileVerificationItem[],
  who: Actor,
): Promise<VerificationTask[]> {
  const startedAt = verificationStartedAtOf(version);
  const done = new Set(started.map((file) => file.index));
  const missing = (await loadFilesToUpload(deps, version)).filter((file) => !done.has(file.index));
  if (startedAt === undefined || missing.length === 0) return [];
  const refs = await deps.store.getArtifactRefs(missing.map((file) => file.sha256));
  return missing.map((file) =>
    firstTaskOf(
      newFileVerification({ ...verificationOf(version, file, who, startedAt), refGeneration: refs.get(file.sha256)?.generation }),
    ),
  );
}

/** What a file's verification starts from: the file, who completed the upload, and which verification it belongs to. */
const verificationOf = (version: VersionItem, file: VersionFile, who: Actor, startedAt: string) => ({
  model: version.model,
  version: version.version,
  path: file.path,
  index: file.index,
  key: file.key,
  sizeBytes: file.sizeBytes,
  sha256: file.sha256,
  uploadedInParts: file.partCount !== undefined,
  startedAt,
  actor: who.actor,
  requestId: who.requestId,
});

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
  return assembled(deps, { key: artifact.key });
}

/**
 * The objects of a manifest's files once uploaded, each by one PUT or assembled from its parts now:
 * all there, or 409 naming those that are not (nothing changes, no upload is assembled). A file
 * whose object is stored already (an earlier completion assembled it) needs no parts again.
 */
async function storedFiles(
  deps: ArtifactDeps,
  version: VersionItem,
  files: readonly VersionFile[],
  input: CompleteUploadInput,
): Promise<StoredFile[]> {
  const given = givenFileParts(version, files, input?.files ?? []);
  const stored = await storedObjects(deps, files);
  const found = files.map((file) => ({ file, object: stored.get(file.key) }));
  const toAssemble = await Promise.all(
    found
      .filter(({ file, object }) => object === undefined && file.uploadId)
      .map(async ({ file }) => ({ file, parts: await assembly(deps, version, file, given.get(file.path)) })),
  );
  const missing = [
    ...found.filter(({ file, object }) => object === undefined && !file.uploadId).map(({ file }) => `${file.path} (PUT it)`),
    ...toAssemble.flatMap(({ file, parts }) => ("problem" in parts ? [`${file.path} (${parts.problem})`] : [])),
  ];
  if (missing.length > 0) {
    throw new UploadIncompleteError(
      `${missing.length} file(s) of version ${version.version} of '${version.model}' are not uploaded yet: ${listed(missing)}. ` +
        "PUT each file or part to its URL first (POST …/artifact/upload gives fresh ones, POST …/artifact/parts a file's part URLs), then complete.",
      { missing },
    );
  }
  for (const { file, parts } of toAssemble) if ("completed" in parts) await assemble(deps, file, parts.completed);
  return Promise.all(found.map(async ({ file, object }) => ({ file, object: object ?? (await assembled(deps, file)) })));
}

/**
 * The files' objects: when one round of HEADs reads them all, a HEAD each, which brings S3's
 * full-object SHA-256 of a single PUT (the file settles now); more files, their sizes from listing
 * pages only (ArtifactBucket.storedObjects), leaving the checksums to their verification tasks: a
 * HEAD each would take a round trip per HEADS_AT_ONCE files inside the request.
 */
async function storedObjects(deps: ArtifactDeps, files: readonly VersionFile[]): Promise<Map<string, StoredObject | undefined>> {
  const keys = files.map((file) => file.key);
  if (keys.length > HEADS_AT_ONCE) return deps.artifacts.storedObjects(keys, HEADS_AT_ONCE);
  return new Map(await mapConcurrently(keys, HEADS_AT_ONCE, async (key) => [key, await deps.artifacts.head(key)] as const));
}

/**
 * The body's parts per path: only for files of this version uploaded in parts (400 otherwise), each
 * part number one of the file's and at most once (400).
 */
function givenFileParts(
  version: VersionItem,
  files: readonly VersionFile[],
  given: NonNullable<NonNullable<CompleteUploadInput>["files"]>,
): Map<string, UploadedPart[]> {
  const byPath = new Map(files.map((file) => [file.path, file]));
  given.forEach(({ path, parts }, index) => {
    const problem = givenPartsProblem(version, byPath.get(path), path, parts);
    if (problem)
      throw new ValidationError(`Completing names the parts of files uploaded in parts: ${problem}.`, [
        { path: `body.files.${index}`, message: problem },
      ]);
  });
  return new Map(given.map(({ path, parts }) => [path, parts]));
}

function givenPartsProblem(
  version: VersionItem,
  file: VersionFile | undefined,
  path: string,
  parts: readonly UploadedPart[],
): string | undefined {
  if (!file) return `'${path}' is not a file of version ${version.version} of '${version.model}' whose bytes it uploads`;
  if (!file.uploadId) return `'${path}' is uploaded with one PUT: it has no parts`;
  const partCount = file.partCount ?? 0;
  const partNumbers = parts.map((p) => p.partNumber);
  const outside = partNumbers.filter((n) => n > partCount);
  if (outside.length > 0) return `'${path}' has parts 1..${partCount}; there is no part ${listed(outside)}`;
  const { duplicates } = partCoverage(partCount, partNumbers);
  return duplicates.length > 0 ? `'${path}' names part ${listed(duplicates)} twice` : undefined;
}

type UploadedPart = { partNumber: number; etag: string };
type DeclaredPart = UploadedPart & { sha256: string };

/** The parts S3 assembles a file from: every part 1..partCount, each with the digest its URL signed; or what is missing. */
async function assembly(
  deps: ArtifactDeps,
  version: VersionItem,
  file: VersionFile,
  parts: readonly UploadedPart[] | undefined,
): Promise<{ completed: DeclaredPart[] } | { problem: string }> {
  if (!parts) return { problem: "no parts named" };
  const { missing } = partCoverage(
    file.partCount ?? 0,
    parts.map((p) => p.partNumber),
  );
  if (missing.length > 0) return { problem: `missing parts ${listed(missing)}` };
  const declared = withDeclaredDigests(parts, await deps.store.getUploadParts(version.model, version.version, file.index));
  if ("undeclared" in declared)
    return { problem: `parts ${listed(declared.undeclared)} never declared: POST …/artifact/parts with their digests` };
  return { completed: declared.parts };
}

/** Each part with the digest its URL signed, in part order; or the parts never declared (no URL could have uploaded them). */
function withDeclaredDigests(
  parts: readonly UploadedPart[],
  declared: UploadPartsItem | undefined,
): { parts: DeclaredPart[] } | { undeclared: number[] } {
  const withDigests = parts.map((p) => ({ ...p, sha256: declaredDigest(declared, p.partNumber) }));
  const undeclared = withDigests.filter((p) => p.sha256 === undefined).map((p) => p.partNumber);
  if (undeclared.length > 0) return { undeclared };
  return { parts: (withDigests as DeclaredPart[]).sort((a, b) => a.partNumber - b.partNumber) };
}

/** S3 assembles one file's parts (never over an object already stored); its refusal names the file. */
async function assemble(deps: ArtifactDeps, file: VersionFile, parts: readonly DeclaredPart[]): Promise<void> {
  if (!file.uploadId) throw new Error(`${file.key} has no multipart upload`);
  try {
    await deps.artifacts.completeMultipart(file.key, file.uploadId, parts);
  } catch (error) {
    // S3's code stays with the file's path: a client whose upload S3 no longer holds starts it again on it.
    if (error instanceof UploadIncompleteError)
      throw new UploadIncompleteError(`${file.path}: ${error.message}`, { ...(error.details as object), path: file.path });
    throw error;
  }
}

async function assembled(deps: ArtifactDeps, file: Pick<VersionFile, "key">): Promise<StoredObject> {
  const stored = await deps.artifacts.head(file.key);
  if (!stored) throw new Error(`S3 completed the upload of ${file.key}, yet the object is not there`);
  return stored;
}

/** A file to upload and the object stored for it. */
interface StoredFile {
  readonly file: VersionFile;
  readonly object: StoredObject;
}

/** The single artifact's object (its one file). */
async function storedArtifact(
  deps: ArtifactDeps,
  version: VersionItem,
  artifact: ArtifactState,
  files: readonly VersionFile[],
  input: CompleteUploadInput,
): Promise<StoredFile[]> {
  const object = await storedObject(deps, version, artifact, input);
  return files.map((file) => ({ file, object }));
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
  const withDigests = withDeclaredDigests(parts, declared);
  if ("undeclared" in withDigests) {
    throw new UploadIncompleteError(
      `Parts ${listed(withDigests.undeclared)} were never declared, so no URL could have uploaded them: POST …/artifact/parts with their digests, ` +
        `upload them, then complete.`,
      { undeclared: withDigests.undeclared },
    );
  }
  return withDigests.parts;
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

const listed = (items: readonly (number | string)[]): string =>
  items.length <= 20 ? items.join(", ") : `${items.slice(0, 20).join(", ")} and ${items.length - 20} more`;

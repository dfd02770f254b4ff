import { MiB, artifactObjectKey, assertArtifactSize, assertPartNumbers, planUpload, type UploadPlan } from "../domain/artifacts";
import { ValidationError } from "../domain/errors";
import { addReference, artifactSummary, type ArtifactRefItem, type ArtifactState } from "../store/entities/artifact";
import { distinctObjects, type ManifestFile, type ManifestState } from "../store/entities/manifest";
import { mapConcurrently } from "../runs";
import { digestBytes, putUploadParts, withDeclaredParts, type UploadPartsItem } from "../store/entities/upload-parts";
import type { HistoryDraft } from "../domain/history";
import type { GuardedWrite } from "../store/model-change";
import type { ArtifactDeclaration, FileDeclaration, FileUploadView, PartDigest, UploadView } from "../schemas/artifact";
import type { ArtifactDeps } from "./deps";

const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** How a version's bytes reach the bucket: null when the bucket already holds them, verified. */
export interface PreparedUpload {
  readonly artifact: ArtifactState;
  readonly upload: UploadView | null;
}

/** Checks a declaration against the limits and turns it into the state a version keeps (no upload started yet). */
export function declaredArtifact(deps: ArtifactDeps, declared: ArtifactDeclaration): ArtifactState {
  assertArtifactSize(declared.sizeBytes, deps.uploads.maxArtifactBytes);
  const plan = planUpload(declared.sizeBytes, declared.partSizeBytes);
  assertPartNumbers(
    plan,
    (declared.parts ?? []).map((p) => p.partNumber),
    "body.artifact.parts",
  );
  const key = artifactObjectKey(declared.sha256);
  return {
    filename: declared.filename,
    sizeBytes: declared.sizeBytes,
    sha256: declared.sha256,
    contentType: declared.contentType ?? DEFAULT_CONTENT_TYPE,
    key,
    uri: deps.artifacts.uri(key),
    ...(plan.method === "MULTIPART" ? { partSizeBytes: plan.partSizeBytes, partCount: plan.partCount } : {}),
  };
}

/** How the bytes travel: bytes with no part size are one PUT. */
export const uploadPlanOf = (artifact: Pick<ArtifactState, "partSizeBytes" | "partCount">): UploadPlan =>
  artifact.partSizeBytes && artifact.partCount
    ? { method: "MULTIPART", partSizeBytes: artifact.partSizeBytes, partCount: artifact.partCount }
    : { method: "PUT" };

/**
 * Decides, inside a model change's plan (which re-runs on conflict), whether the bytes must be uploaded.
 * 1. the bucket already holds them, verified (the ref says so and a HEAD finds the object with that size): no upload;
 * 2. otherwise one presigned PUT, or a new multipart upload with a URL per declared part.
 * The reuse check is re-read on every run; the S3 side is started once and kept.
 */
export function uploadPreparer(deps: ArtifactDeps, artifact: ArtifactState, parts: readonly PartDigest[]): () => Promise<PreparedUpload> {
  let started: PreparedUpload | undefined;
  return async () => {
    if (await holdsVerifiedBytes(deps, artifact)) return { artifact, upload: null };
    if (!started) {
      const { started: withUpload, upload } = await startUpload(deps, artifact, parts);
      started = { artifact: withUpload, upload };
    }
    return started;
  };
}

/** Whose part digests: a version's single artifact, or one file of its manifest (by its index). */
export interface PartsOwner {
  readonly model: string;
  readonly version: number;
  readonly file?: number;
}

/** Records declared part digests (merged onto `existing`): a multipart upload's URLs sign them, and its completion needs them again. */
export function declarePartsWrites(
  owner: PartsOwner,
  upload: { readonly uploadId?: string },
  parts: readonly PartDigest[],
  existing?: UploadPartsItem,
): GuardedWrite[] {
  if (!upload.uploadId || parts.length === 0) return [];
  return [{ write: putUploadParts(withDeclaredParts(existing, owner.model, owner.version, parts, owner.file)) }];
}

/** The same, merged onto the digests declared before: read only when there is something to merge. */
export async function redeclarePartsWrites(
  deps: ArtifactDeps,
  owner: PartsOwner,
  upload: { readonly uploadId?: string },
  parts: readonly PartDigest[],
): Promise<GuardedWrite[]> {
  if (!upload.uploadId || parts.length === 0) return [];
  return declarePartsWrites(owner, upload, parts, await deps.store.getUploadParts(owner.model, owner.version, owner.file));
}

/** A version whose bytes need no upload is READY at once: its history says so in the same transaction. */
export function readyAtOnce(version: number, prepared: PreparedUpload): HistoryDraft[] {
  return prepared.upload === null ? [{ action: "VERSION_READY", version, artifact: artifactSummary(prepared.artifact) }] : [];
}

/** Bytes on their way to the bucket: their object, and how they travel. */
type Uploadable = Pick<ArtifactState, "key" | "sha256" | "sizeBytes" | "contentType" | "partSizeBytes" | "partCount" | "uploadId">;

/** URLs for the given parts of a multipart upload (a version's artifact or one of its files), each signing that part's digest. */
export async function multipartUpload(deps: ArtifactDeps, bytes: Uploadable, parts: readonly PartDigest[]): Promise<UploadView> {
  const { uploadId, partSizeBytes, partCount } = bytes;
  if (!uploadId || !partSizeBytes || !partCount) throw new Error(`Object ${bytes.key} has no multipart upload`);
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const urls = await Promise.all(sorted.map((p) => deps.artifacts.presignPart(bytes.key, uploadId, p.partNumber, p.sha256)));
  return { method: "MULTIPART", uploadId, partSizeBytes, partCount, parts: urls, expiresAt: deps.artifacts.uploadUrlsExpireAt() };
}

/** The bytes to store: what the registry may already hold, and where. */
type DeclaredBytes = Pick<ArtifactState, "sha256" | "sizeBytes" | "key">;

async function holdsVerifiedBytes(deps: ArtifactDeps, artifact: DeclaredBytes): Promise<boolean> {
  const ref = await deps.store.getArtifactRef(artifact.sha256);
  return saysVerified(ref, artifact, "body.artifact.sizeBytes") && (await isStored(deps, artifact));
}

/** Whether a reference says its bytes are stored, verified, and in use (a declaration of another size for them is a 400 at `where`). */
function saysVerified(ref: ArtifactRefItem | undefined, bytes: DeclaredBytes, where: string): boolean {
  if (!ref?.verifiedAt || ref.refCount < 1) return false;
  if (ref.sizeBytes !== bytes.sizeBytes) {
    // Same digest, other size: the declaration is wrong (the stored bytes were verified against this digest).
    throw new ValidationError(
      `The bytes with sha256 ${bytes.sha256} are stored, verified, with ${ref.sizeBytes} bytes; this declaration says ${bytes.sizeBytes}.`,
      [{ path: where, message: `the verified size is ${ref.sizeBytes}` }],
    );
  }
  return true;
}

/** The bucket has the object, with the declared size: a reference alone does not prove it. */
const isStored = async (deps: ArtifactDeps, bytes: DeclaredBytes): Promise<boolean> =>
  (await deps.artifacts.head(bytes.key))?.sizeBytes === bytes.sizeBytes;

/** One presigned PUT, or a new multipart upload (its id kept on the bytes) with a URL per declared part. */
async function startUpload<B extends Uploadable>(
  deps: ArtifactDeps,
  bytes: B,
  parts: readonly PartDigest[],
): Promise<{ started: B; upload: UploadView }> {
  if (uploadPlanOf(bytes).method === "PUT") return { started: bytes, upload: await presignedPut(deps, bytes) };
  const started = { ...bytes, uploadId: await deps.artifacts.startMultipart(bytes.key, bytes.contentType) };
  return { started, upload: await multipartUpload(deps, started, parts) };
}

async function presignedPut(deps: ArtifactDeps, bytes: DeclaredBytes): Promise<UploadView> {
  const put = await deps.artifacts.presignPut(bytes.key, bytes.sha256);
  return { method: "PUT", ...put, expiresAt: deps.artifacts.uploadUrlsExpireAt() };
}

/** A manifest's files and each one's upload: null when there is nothing to send. */
export interface PreparedManifest {
  readonly manifest: ManifestState;
  readonly uploads: FileUploadView[];
  /** Every object was held verified: the version is READY at once. */
  readonly allStored: boolean;
}

/**
 * Checks a manifest against the limits (the total within the bucket's limit; the part digests its
 * files declare within one transaction's room; a file over the single-PUT limit travels in parts
 * with its declared part digests) and turns it into the files a version keeps: each file whose
 * bytes an earlier file carries names that file (`sameBytesAs`).
 */
export function declaredManifest(deps: ArtifactDeps, files: readonly FileDeclaration[]): ManifestFile[] {
  const totalBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  if (totalBytes > deps.uploads.maxArtifactBytes) {
    throw new ValidationError(
      `The files declare ${totalBytes} bytes together; this registry accepts at most ${deps.uploads.maxArtifactBytes} per version.`,
      [{ path: "body.files", message: `at most ${deps.uploads.maxArtifactBytes} bytes in total` }],
    );
  }
  assertDeclaredDigestsFit(files);
  const firstWith = new Map<string, number>();
  return files.map((file, index) => {
    const carrier = firstWith.get(file.sha256);
    if (carrier === undefined) firstWith.set(file.sha256, index);
    return { ...declaredFile(file, index), ...(carrier === undefined ? {} : { sameBytesAs: carrier }) };
  });
}

/**
 * The part digests a registration's files declare, as their items hold them, at most. The items ride
 * in the registration's transactions, which DynamoDB caps at 4 MB: 14 files each declaring its
 * 10,000th part (320 KB of digests apiece) exceeded it, a 500. 2 MiB leave the commit's other items their room.
 */
export const MAX_DECLARED_DIGEST_BYTES = 2 * MiB;

function assertDeclaredDigestsFit(files: readonly FileDeclaration[]): void {
  const declared = files.reduce((sum, file) => sum + digestBytes(file.parts ?? []), 0);
  if (declared > MAX_DECLARED_DIGEST_BYTES)
    throw new ValidationError(
      `The parts the files declare take ${declared} bytes of digests (32 for every part number up to each file's highest declared); ` +
        `one registration declares at most ${MAX_DECLARED_DIGEST_BYTES}. Declare fewer parts here, and the others later, ` +
        "a file at a time, with POST …/artifact/parts and { path, parts }.",
      [{ path: "body.files", message: `at most ${MAX_DECLARED_DIGEST_BYTES} bytes of declared part digests` }],
    );
}

function declaredFile(file: FileDeclaration, index: number): ManifestFile {
  const plan = planUpload(file.sizeBytes, file.partSizeBytes, `body.files.${index}.partSizeBytes`);
  assertPartNumbers(
    plan,
    (file.parts ?? []).map((p) => p.partNumber),
    `body.files.${index}.parts`,
  );
  return {
    path: file.path,
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    contentType: file.contentType ?? DEFAULT_CONTENT_TYPE,
    key: artifactObjectKey(file.sha256),
    ...(plan.method === "MULTIPART" ? { partSizeBytes: plan.partSizeBytes, partCount: plan.partCount } : {}),
  };
}

/**
 * HEADs (or listing pages) in flight at once over a manifest's objects (registering or completing it):
 * S3 serves 5,500 a second per prefix, and a round trip, not CPU, bounds them there; within the SDK client's 50 sockets.
 */
export const HEADS_AT_ONCE = 48;

/**
 * Decides, inside a model change's plan (which re-runs on conflict), which of a manifest's objects
 * must be uploaded: one presigned PUT, or a multipart upload with a URL per part declared for the
 * file, per object the bucket does not hold verified (files with the same bytes share it: only the
 * first gets the upload). Only the first `answered` files' uploads are presigned: the answer carries
 * no more. The reuse checks are re-read on every run; a multipart upload, once started, is kept.
 */
export function manifestPreparer(
  deps: ArtifactDeps,
  files: readonly ManifestFile[],
  declaredParts: readonly (readonly PartDigest[] | undefined)[] = [],
  answered = files.length,
): () => Promise<PreparedManifest> {
  const started = new Map<string, ManifestFile>();
  return async () => {
    const objects = distinctObjects(files);
    const stored = await heldVerified(deps, files);
    for (const file of objects)
      if (!stored.has(file.sha256) && !started.has(file.sha256)) started.set(file.sha256, await startedUpload(deps, file));
    const kept = files.map((file) =>
      stored.has(file.sha256) ? { ...file, reused: true } : file.sameBytesAs === undefined ? (started.get(file.sha256) ?? file) : file,
    );
    const uploads = await Promise.all(
      kept.slice(0, answered).map(async (file, index) => ({
        path: file.path,
        upload: carriesBytes(file) ? await uploadOf(deps, file, declaredParts[index] ?? []) : null,
      })),
    );
    return { manifest: { files: kept }, uploads, allStored: stored.size === objects.length };
  };
}

/**
 * The digests of the objects the bucket holds verified: every reference read in batches (100 a
 * call), then a HEAD only for the objects whose reference says verified.
 */
async function heldVerified(deps: ArtifactDeps, files: readonly ManifestFile[]): Promise<Set<string>> {
  const refs = await deps.store.getArtifactRefs(distinctObjects(files).map((file) => file.sha256));
  const verified = distinctObjects(files.filter((file, i) => saysVerified(refs.get(file.sha256), file, `body.files.${i}.sizeBytes`)));
  const stored = await mapConcurrently(verified, HEADS_AT_ONCE, (file) => isStored(deps, file));
  return new Set(verified.filter((_, i) => stored[i]).map((file) => file.sha256));
}

/** A file whose bytes it uploads itself: not held verified, and no earlier file of the manifest carries them. */
export const carriesBytes = (file: Pick<ManifestFile, "reused" | "sameBytesAs">): boolean => !file.reused && file.sameBytesAs === undefined;

/** The file with its multipart upload started when it travels in parts (a single PUT starts nothing). */
async function startedUpload(deps: ArtifactDeps, file: ManifestFile): Promise<ManifestFile> {
  if (uploadPlanOf(file).method === "PUT") return file;
  return { ...file, uploadId: await deps.artifacts.startMultipart(file.key, file.contentType) };
}

/** How a file carrying its bytes sends them: a fresh presigned PUT, or its multipart upload with URLs for `parts`. */
export const uploadOf = (deps: ArtifactDeps, file: Uploadable, parts: readonly PartDigest[]): Promise<UploadView> =>
  uploadPlanOf(file).method === "PUT" ? presignedPut(deps, file) : multipartUpload(deps, file, parts);

/** The part digests declared for the files now uploading in parts, each file's on its own item (keyed by its index). */
export const manifestPartsWrites = (
  owner: Omit<PartsOwner, "file">,
  files: readonly (ManifestFile & { index?: number })[],
  declaredParts: readonly (readonly PartDigest[] | undefined)[],
): GuardedWrite[] =>
  files.flatMap((file, position) => {
    const index = file.index ?? position;
    return declarePartsWrites({ ...owner, file: index }, file, declaredParts[index] ?? []);
  });

/** One more version uses each object the files carry first (reused ones only while still verified and referenced). */
export const manifestReferenceWrites = (files: readonly ManifestFile[]): GuardedWrite[] =>
  files.filter((file) => file.sameBytesAs === undefined).map((file) => ({ write: addReference(file, file.reused === true) }));

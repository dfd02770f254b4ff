import { artifactObjectKey, assertArtifactSize, assertPartNumbers, planUpload, type UploadPlan } from "../domain/artifacts";
import { ValidationError } from "../domain/errors";
import { artifactSummary, type ArtifactState } from "../store/entities/artifact";
import { putUploadParts, withDeclaredParts, type UploadPartsItem } from "../store/entities/upload-parts";
import type { HistoryDraft } from "../domain/history";
import type { GuardedWrite } from "../store/model-change";
import type { ArtifactDeclaration, PartDigest, UploadView } from "../schemas/artifact";
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

export const uploadPlanOf = (artifact: ArtifactState): UploadPlan =>
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
    started ??= await startUpload(deps, artifact, parts);
    return started;
  };
}

/** Records declared part digests (merged onto `existing`): a multipart upload's URLs sign them, and its completion needs them again. */
export function declarePartsWrites(
  name: string,
  version: number,
  artifact: ArtifactState,
  parts: readonly PartDigest[],
  existing?: UploadPartsItem,
): GuardedWrite[] {
  if (!artifact.uploadId || parts.length === 0) return [];
  return [{ write: putUploadParts(withDeclaredParts(existing, name, version, parts)) }];
}

/** The same, merged onto the digests declared before: read only when there is something to merge. */
export async function redeclarePartsWrites(
  deps: ArtifactDeps,
  name: string,
  version: number,
  artifact: ArtifactState,
  parts: readonly PartDigest[],
): Promise<GuardedWrite[]> {
  if (!artifact.uploadId || parts.length === 0) return [];
  return declarePartsWrites(name, version, artifact, parts, await deps.store.getUploadParts(name, version));
}

/** A version whose bytes need no upload is READY at once: its history says so in the same transaction. */
export function readyAtOnce(version: number, prepared: PreparedUpload): HistoryDraft[] {
  return prepared.upload === null ? [{ action: "VERSION_READY", version, artifact: artifactSummary(prepared.artifact) }] : [];
}

/** URLs for the given parts of a version's multipart upload, each signing that part's digest. */
export async function multipartUpload(deps: ArtifactDeps, artifact: ArtifactState, parts: readonly PartDigest[]): Promise<UploadView> {
  const { uploadId, partSizeBytes, partCount } = artifact;
  if (!uploadId || !partSizeBytes || !partCount) throw new Error(`Artifact ${artifact.key} has no multipart upload`);
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const urls = await Promise.all(sorted.map((p) => deps.artifacts.presignPart(artifact.key, uploadId, p.partNumber, p.sha256)));
  return { method: "MULTIPART", uploadId, partSizeBytes, partCount, parts: urls, expiresAt: deps.artifacts.uploadUrlsExpireAt() };
}

async function holdsVerifiedBytes(deps: ArtifactDeps, artifact: ArtifactState): Promise<boolean> {
  const ref = await deps.store.getArtifactRef(artifact.sha256);
  if (!ref?.verifiedAt || ref.refCount < 1) return false;
  if (ref.sizeBytes !== artifact.sizeBytes) {
    // Same digest, other size: the declaration is wrong (the stored bytes were verified against this digest).
    throw new ValidationError(
      `The bytes with sha256 ${artifact.sha256} are stored, verified, with ${ref.sizeBytes} bytes; this declaration says ${artifact.sizeBytes}.`,
      [{ path: "body.artifact.sizeBytes", message: `the verified size is ${ref.sizeBytes}` }],
    );
  }
  const stored = await deps.artifacts.head(artifact.key);
  return stored?.sizeBytes === artifact.sizeBytes;
}

async function startUpload(deps: ArtifactDeps, artifact: ArtifactState, parts: readonly PartDigest[]): Promise<PreparedUpload> {
  if (uploadPlanOf(artifact).method === "PUT") {
    const put = await deps.artifacts.presignPut(artifact.key, artifact.sha256);
    return { artifact, upload: { method: "PUT", ...put, expiresAt: deps.artifacts.uploadUrlsExpireAt() } };
  }
  const started = { ...artifact, uploadId: await deps.artifacts.startMultipart(artifact.key, artifact.contentType) };
  return { artifact: started, upload: await multipartUpload(deps, started, parts) };
}

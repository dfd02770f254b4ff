import { createHash } from "node:crypto";
import * as z from "../../zod";
import type { FilesView } from "../../schemas/artifact";
import { decodeCursor, encodeCursor, invalidCursor, type Page } from "../pages";
import { artifactSummary } from "./artifact";
import type { VersionItem } from "./version";

/**
 * How many files a version may hold today. Registering, settling and deleting a version each write
 * one reference per distinct object, and one item of declared part digests per file uploaded in
 * parts, in the model's single transaction (DynamoDB: at most 100 actions), beside the model, the
 * version, its label, up to 20 dataset links, a run link, up to 3 key metric index items, history
 * entries and a checkpoint (at most 31 actions): 64 of those keep every one of them within 100. The
 * version item holds the manifest (64 paths of at most 1,024 bytes, beside at most 64 KiB of
 * metadata: well under DynamoDB's 400 KB).
 */
export const MAX_FILES_PER_COMMIT = 64;

/** What a manifest takes of one commit: each file (its reference, at most), and once more each file uploaded in parts (its part digests). */
export const commitSlots = (files: readonly ManifestFile[]): number =>
  files.length + files.filter((file) => file.partCount !== undefined).length;

/** One file of a multi-file version, as the version item keeps it. */
export interface ManifestFile {
  readonly path: string;
  readonly sizeBytes: number;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly contentType: string;
  readonly key: string;
  /** The bucket held these bytes, verified, when the version was registered: nothing to upload or verify. */
  readonly reused?: boolean;
  /** A file over the single-PUT limit travels in parts, as a single artifact does. */
  readonly partSizeBytes?: number;
  readonly partCount?: number;
  /** The multipart upload in progress for these bytes (the first file that holds them). */
  readonly uploadId?: string;
}

/** A multi-file version's files, and how their upload stands (as `ArtifactState` does for one file). */
export interface ManifestState {
  readonly files: readonly ManifestFile[];
  /** FAILED only: what the verification found, naming the file. */
  readonly failureReason?: string;
  /** VERIFYING (and after): when the verification of these files started, which names it. */
  readonly verificationStartedAt?: string;
}

export const manifestState = z.object({
  files: z.array(
    z.object({
      path: z.string(),
      sizeBytes: z.int(),
      sha256: z.string(),
      contentType: z.string(),
      key: z.string(),
      reused: z.optional(z.boolean()),
      partSizeBytes: z.optional(z.int()),
      partCount: z.optional(z.int()),
      uploadId: z.optional(z.string()),
    }),
  ),
  failureReason: z.optional(z.string()),
  verificationStartedAt: z.optional(z.string()),
});

export function toFilesView(manifest: ManifestState): FilesView {
  return {
    count: manifest.files.length,
    totalBytes: manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0),
    deduplicated: manifest.files.filter((file) => file.reused).length,
    ...(manifest.failureReason ? { failureReason: manifest.failureReason } : {}),
  };
}

/**
 * One file of a version's uploaded bytes, whichever way it was declared: the single `artifact`
 * (no index; its file name is its path) or a file of the manifest (its index in it).
 */
export interface VersionFile {
  readonly index?: number;
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly contentType: string;
  readonly key: string;
  readonly reused: boolean;
  readonly partSizeBytes?: number;
  readonly partCount?: number;
  readonly uploadId?: string;
}

/** The version's uploaded files: one for an `artifact`, the manifest's otherwise, none for a `source`. */
export function versionFiles(version: VersionItem): VersionFile[] {
  const { artifact, manifest } = version;
  if (artifact) {
    const { filename: path, sizeBytes, sha256, contentType, key, partSizeBytes, partCount, uploadId } = artifact;
    return [{ path, sizeBytes, sha256, contentType, key, reused: false, partSizeBytes, partCount, uploadId }];
  }
  return (manifest?.files ?? []).map((file, index) => ({ ...file, index, reused: file.reused === true }));
}

/**
 * One page of the version's files, in the order declared. The cursor holds the index to go on
 * from and names the version it belongs to: a cursor of Production's version 6 is refused once
 * Production is version 7, rather than mixing two manifests.
 */
export function versionFilesPage(version: VersionItem, page: { limit: number; cursor?: string }): Page<VersionFile> {
  const scope = `files#${version.model}#${version.version}`;
  const files = versionFiles(version);
  const from = page.cursor === undefined ? 0 : Number(decodeCursor(scope, page.cursor)?.from);
  if (!Number.isInteger(from) || from < 0 || from >= Math.max(files.length, 1)) throw invalidCursor();
  const next = from + page.limit;
  return {
    items: files.slice(from, next),
    ...(next < files.length ? { nextCursor: encodeCursor(scope, { from: String(next) }) } : {}),
  };
}

/** One file per stored object: files of one version with the same bytes share their object, its reference and its check. */
export function distinctObjects<F extends { sha256: string }>(files: readonly F[]): F[] {
  const seen = new Set<string>();
  return files.filter((file) => !seen.has(file.sha256) && seen.add(file.sha256));
}

/** The files whose bytes this version uploads (and so checks): all but those the registry held verified already. */
export const filesToUpload = (version: VersionItem): VersionFile[] => distinctObjects(versionFiles(version).filter((file) => !file.reused));

/** When the version's current verification started (it names it), for either form. */
export const verificationStartedAtOf = (version: VersionItem): string | undefined =>
  (version.artifact ?? version.manifest)?.verificationStartedAt;

/** The version with its upload state (verification started, failure reason) set, in whichever form it holds its files. */
export function withUploadState(
  version: VersionItem,
  state: { failureReason: string | undefined; verificationStartedAt?: string },
): VersionItem {
  const started = state.verificationStartedAt ? { verificationStartedAt: state.verificationStartedAt } : {};
  if (version.artifact) return { ...version, artifact: { ...version.artifact, failureReason: state.failureReason, ...started } };
  if (version.manifest) return { ...version, manifest: { ...version.manifest, failureReason: state.failureReason, ...started } };
  throw new Error(`Version ${version.version} of '${version.model}' holds no uploaded files`);
}

/**
 * What history entries (and so events) say about the bytes: the single artifact's summary; for a
 * manifest, the version's URI, the total size and the SHA-256 of the manifest as `sha256sum` prints
 * it (one `<sha256>  <path>` line per file, in the order declared): one digest for the whole set.
 */
export function historyArtifact(version: VersionItem): { uri: string; sha256: string; sizeBytes: number } | undefined {
  if (version.artifact) return artifactSummary(version.artifact);
  if (!version.manifest) return undefined;
  const listing = version.manifest.files.map((file) => `${file.sha256}  ${file.path}\n`).join("");
  return {
    uri: `models:/${version.model}/${version.version}`,
    sha256: createHash("sha256").update(listing).digest("hex"),
    sizeBytes: toFilesView(version.manifest).totalBytes,
  };
}

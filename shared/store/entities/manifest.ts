import { createHash } from "node:crypto";
import * as z from "../../zod";
import type { FilesView } from "../../schemas/artifact";
import { decodeCursor, encodeCursor, invalidCursor, type Page } from "../pages";
import { artifactSummary, type ArtifactState } from "./artifact";

/**
 * How many files one commit carries. Registering, settling and deleting a version each write one
 * reference per distinct object, and one item of declared part digests per file uploaded in parts,
 * in the model's single transaction (DynamoDB: at most 100 actions), beside the model, the version,
 * its label, up to 20 dataset links, a run link, up to 3 key metric index items, history entries and
 * a checkpoint (at most 31 actions): 64 of those keep every one of them within 100. A manifest that
 * fits rides on the version item (64 paths of at most 1,024 bytes, beside at most 64 KiB of
 * metadata: well under DynamoDB's 400 KB); a larger one is written in chunks, one commit each, the
 * first of this size (manifest-chunk.ts).
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
  /** A chunked manifest's file whose bytes an earlier file carries (that one's index): no upload, no reference of its own. */
  readonly sameBytesAs?: number;
}

/**
 * A manifest larger than one commit: its files are on chunk items, chunk 0 written with the version,
 * each other in a commit of its own; `written` chunks are there. `removing`: a deletion is taking
 * the chunks away, one commit each, and nothing else may use the version.
 */
export interface ManifestChunks {
  /** The index of each chunk's first file: how many chunks, and which one holds a file. */
  readonly starts: readonly number[];
  readonly written: number;
  readonly count: number;
  readonly totalBytes: number;
  readonly deduplicated: number;
  /** What history says of the files: the SHA-256 of the `sha256sum` listing (historyArtifact). */
  readonly listingSha256: string;
  /** Where each path is without reading the chunks: its fingerprint, in the order declared (pathFingerprints). Absent on manifests registered before. */
  readonly pathFingerprints?: string;
  readonly removing?: boolean;
}

/** A multi-file version's files, and how their upload stands (as `ArtifactState` does for one file). */
export interface ManifestState {
  /** The files, in the order declared; empty when they are on chunk items (`chunks`). */
  readonly files: readonly ManifestFile[];
  readonly chunks?: ManifestChunks;
  /** FAILED only: what the verification found, naming the file. */
  readonly failureReason?: string;
  /** VERIFYING (and after): when the verification of these files started, which names it. */
  readonly verificationStartedAt?: string;
}

/** Built by the readers that hold it (./version.ts, ./manifest-chunk.ts), on their first read. */
export const manifestState = () =>
  z.object({
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
        sameBytesAs: z.optional(z.int()),
      }),
    ),
    chunks: z.optional(
      z.object({
        starts: z.array(z.int()),
        written: z.int(),
        count: z.int(),
        totalBytes: z.number(),
        deduplicated: z.int(),
        listingSha256: z.string(),
        pathFingerprints: z.optional(z.string()),
        removing: z.optional(z.boolean()),
      }),
    ),
    failureReason: z.optional(z.string()),
    verificationStartedAt: z.optional(z.string()),
  });

export function toFilesView(manifest: ManifestState): FilesView {
  const { chunks } = manifest;
  return {
    ...(chunks ? chunkedSummary(chunks) : filesSummary(manifest.files)),
    ...(manifest.failureReason ? { failureReason: manifest.failureReason } : {}),
  };
}

/** How many files, their bytes, and how many of them were held verified already. */
export const filesSummary = (files: readonly ManifestFile[]) => ({
  count: files.length,
  totalBytes: files.reduce((sum, file) => sum + file.sizeBytes, 0),
  deduplicated: files.filter((file) => file.reused).length,
});

function chunkedSummary({ count, totalBytes, deduplicated, starts, written, removing }: ManifestChunks): FilesView {
  const incomplete = written < starts.length && !removing;
  return {
    count,
    totalBytes,
    deduplicated,
    ...(incomplete ? { registration: { chunksWritten: written, chunksTotal: starts.length } } : {}),
  };
}

/** Every chunk of the manifest is written (always so for a manifest on the version item). */
export const isManifestComplete = (manifest: ManifestState): boolean =>
  !manifest.chunks || (manifest.chunks.written === manifest.chunks.starts.length && !manifest.chunks.removing);

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
  readonly sameBytesAs?: number;
}

/** The version's uploaded files: one for an `artifact`, the manifest's otherwise (none on the item when chunked), none for a `source`. */
/** What a version item (./version.ts) holds of its files: one `artifact`, or a `manifest`, or neither for a `source`. */
export interface FilesOfVersion {
  readonly model: string;
  readonly version: number;
  readonly artifact?: ArtifactState;
  readonly manifest?: ManifestState;
}

export function versionFiles(version: FilesOfVersion): VersionFile[] {
  const { artifact, manifest } = version;
  if (artifact) {
    const { filename: path, sizeBytes, sha256, contentType, key, partSizeBytes, partCount, uploadId } = artifact;
    return [{ path, sizeBytes, sha256, contentType, key, reused: false, partSizeBytes, partCount, uploadId }];
  }
  return (manifest?.files ?? []).map((file, index) => ({ ...file, index, reused: file.reused === true }));
}

/** How many files the version holds, wherever they are kept. */
export const fileCount = (version: FilesOfVersion): number => version.manifest?.chunks?.count ?? versionFiles(version).length;

/**
 * Where a page of the version's files starts, in the order declared. The cursor holds the index to
 * go on from and names the version it belongs to: a cursor of Production's version 6 is refused once
 * Production is version 7, rather than mixing two manifests.
 */
export function filesPageStart(version: FilesOfVersion, cursor: string | undefined): number {
  const from = cursor === undefined ? 0 : Number(decodeCursor(filesScope(version), cursor)?.from);
  if (!Number.isInteger(from) || from < 0 || from >= Math.max(fileCount(version), 1)) throw invalidCursor();
  return from;
}

/** The page of `files` (those from `from` on) within `limit`, with the cursor of the next when there is one. */
export function filesPage(version: FilesOfVersion, from: number, files: readonly VersionFile[], limit: number): Page<VersionFile> {
  const next = from + limit;
  return {
    items: files.slice(0, limit),
    ...(next < fileCount(version) ? { nextCursor: filesCursor(version, next) } : {}),
  };
}

/** The cursor of the version's files from the one at index `from` on. */
export const filesCursor = (version: FilesOfVersion, from: number): string => encodeCursor(filesScope(version), { from: String(from) });

const filesScope = (version: FilesOfVersion) => `files#${version.model}#${version.version}`;

/** One file per stored object: files of one version with the same bytes share their object, its reference and its check. */
export function distinctObjects<F extends { sha256: string }>(files: readonly F[]): F[] {
  const seen = new Set<string>();
  return files.filter((file) => !seen.has(file.sha256) && seen.add(file.sha256));
}

/** When the version's current verification started (it names it), for either form. */
export const verificationStartedAtOf = (version: FilesOfVersion): string | undefined =>
  (version.artifact ?? version.manifest)?.verificationStartedAt;

/** The version with its upload state (verification started, failure reason) set, in whichever form it holds its files. */
export function withUploadState<V extends FilesOfVersion>(
  version: V,
  state: { failureReason: string | undefined; verificationStartedAt?: string },
): V {
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
export function historyArtifact(version: FilesOfVersion): { uri: string; sha256: string; sizeBytes: number } | undefined {
  if (version.artifact) return artifactSummary(version.artifact);
  if (!version.manifest) return undefined;
  return {
    uri: `models:/${version.model}/${version.version}`,
    sha256: version.manifest.chunks?.listingSha256 ?? listingSha256(version.manifest.files),
    sizeBytes: toFilesView(version.manifest).totalBytes,
  };
}

/** The SHA-256 of the files as `sha256sum` lists them: one `<sha256>  <path>` line per file, in the order declared. */
export const listingSha256 = (files: readonly ManifestFile[]): string =>
  createHash("sha256")
    .update(files.map((file) => `${file.sha256}  ${file.path}\n`).join(""))
    .digest("hex");

/** Bytes of a path's SHA-256 that fingerprint it: among 10,000 paths, another path shares a fingerprint once in about 400,000 look-ups. */
const FINGERPRINT_BYTES = 4;

const fingerprint = (path: string): Buffer => createHash("sha256").update(path).digest().subarray(0, FINGERPRINT_BYTES);

/**
 * Each path's fingerprint, in the order declared, as base64 (4 bytes a file: about 53 KB for
 * 10,000 files, on the version item): which file, so which chunk, may hold a path, without reading
 * the chunks.
 */
export const pathFingerprints = (files: readonly ManifestFile[]): string =>
  Buffer.concat(files.map((file) => fingerprint(file.path))).toString("base64");

/** The indexes of the files whose fingerprint is the path's: the file itself, if it is there, and rarely another. */
export function indexesFingerprinted(fingerprints: string, path: string): number[] {
  const all = Buffer.from(fingerprints, "base64");
  const wanted = fingerprint(path);
  const indexes: number[] = [];
  for (let at = 0; at < all.length; at += FINGERPRINT_BYTES)
    if (all.subarray(at, at + FINGERPRINT_BYTES).equals(wanted)) indexes.push(at / FINGERPRINT_BYTES);
  return indexes;
}

import * as z from "../../zod";
import { runsThatFit } from "../../runs";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { modelPartition, padNumber } from "../keys";
import type { Write } from "../writes";
import { versionKey, type VersionItem } from "./version";
import { MAX_FILES_PER_COMMIT, commitSlots, manifestState, type ManifestFile, type VersionFile } from "./manifest";

export const MANIFEST_CHUNK_ENTITY = "manifestChunk";
const SCHEMA_VERSION = 1;

/**
 * A stretch of a large manifest's files, in the order declared, from file `first` on. A chunk is
 * written in one commit with what its files take (a reference per object first seen in it, part
 * digests per file in parts) and goes in one commit with the references it took: the first chunk
 * no more than a small manifest takes of one commit, each other one MAX_FILES_PER_CHUNK.
 */
export const manifestChunkKey = (name: string, version: number, chunk: number) => ({
  pk: modelPartition(name),
  sk: `${chunkPrefix(version)}${padNumber(chunk)}`,
});

const chunkPrefix = (version: number) => `MANIFEST#${padNumber(version)}#`;

/** The key range of a version's chunks: one Query lists them in order. */
export const manifestChunksRange = (name: string, version: number) => ({ pk: modelPartition(name), skPrefix: chunkPrefix(version) });

export interface ManifestChunkItem extends ItemBase {
  readonly model: string;
  readonly version: number;
  readonly chunk: number;
  /** The index, in the manifest, of this chunk's first file. */
  readonly first: number;
  readonly files: readonly ManifestFile[];
}

export const manifestChunkFromItem = itemReader(MANIFEST_CHUNK_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(MANIFEST_CHUNK_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    version: z.int(),
    chunk: z.int(),
    first: z.int(),
    files: manifestState().shape.files,
  }),
);

/** Whether the files take more than one commit: then they are written in chunks. */
export const needsChunks = (files: readonly ManifestFile[]): boolean => commitSlots(files) > MAX_FILES_PER_COMMIT;

/**
 * How many files a chunk after the first carries (a file in parts counting twice): the commit that
 * writes it holds, beside what its files take, only the model, the version's count of chunks written
 * and the chunk itself, as the commit that deletes it does: 3 of DynamoDB's 100 actions. The first
 * chunk goes with the version and everything else a registration writes: MAX_FILES_PER_COMMIT.
 */
export const MAX_FILES_PER_CHUNK = 97;

/** The manifest cut, in order, into chunks that each fit one commit. */
export function cutIntoChunks(name: string, version: number, files: readonly ManifestFile[]): ManifestChunkItem[] {
  const runs = runsThatFit(
    files,
    (run, next) => commitSlots([...run, next]) <= (run[0] === files[0] ? MAX_FILES_PER_COMMIT : MAX_FILES_PER_CHUNK),
  );
  let first = 0;
  return runs.map((run, chunk) => {
    const item: ManifestChunkItem = {
      ...manifestChunkKey(name, version, chunk),
      entity: MANIFEST_CHUNK_ENTITY,
      schemaVersion: SCHEMA_VERSION,
      model: name,
      version,
      chunk,
      first,
      files: run,
    };
    first += run.length;
    return item;
  });
}

/** Invariant: a chunk is written once (a retried commit finds it there and re-plans). */
export const putManifestChunk = (item: ManifestChunkItem): Write => ({
  Put: { Item: item, ConditionExpression: "attribute_not_exists(pk)" },
});

export const deleteManifestChunk = (item: ManifestChunkItem): Write => ({
  Delete: { Key: manifestChunkKey(item.model, item.version, item.chunk), ConditionExpression: "attribute_exists(pk)" },
});

const CHUNK_NAMES = { "#status": "status", "#manifest": "manifest", "#chunks": "chunks", "#written": "written", "#removing": "removing" };

/**
 * The version counts one more chunk written. Invariant: the version is still PENDING_UPLOAD with
 * exactly the chunks before this one written, and no deletion has begun taking them away.
 */
export const noteChunkWritten = (seen: VersionItem): Write => ({
  Update: {
    Key: versionKey(seen.model, seen.version),
    UpdateExpression: "SET #manifest.#chunks.#written = :next",
    ConditionExpression: "#status = :pending AND #manifest.#chunks.#written = :seen AND attribute_not_exists(#manifest.#chunks.#removing)",
    ExpressionAttributeNames: CHUNK_NAMES,
    ExpressionAttributeValues: { ":pending": "PENDING_UPLOAD", ":seen": writtenOf(seen), ":next": writtenOf(seen) + 1 },
  },
});

/**
 * A deletion begins taking the chunks away: from now on only that deletion uses the version.
 * Invariant: the version is still in the stage and status it was judged deletable in.
 */
export const startChunkRemoval = (seen: VersionItem): Write => ({
  Update: {
    Key: versionKey(seen.model, seen.version),
    UpdateExpression: "SET #manifest.#chunks.#removing = :true",
    ConditionExpression: "#stage = :stage AND #status = :status AND #manifest.#chunks.#written = :seen",
    ExpressionAttributeNames: { ...CHUNK_NAMES, "#stage": "stage" },
    ExpressionAttributeValues: { ":true": true, ":stage": seen.stage, ":status": seen.status, ":seen": writtenOf(seen) },
  },
});

/** The version counts its last chunk gone. Invariant: a deletion holds the version, and that chunk was its last one. */
export const noteChunkRemoved = (seen: VersionItem): Write => ({
  Update: {
    Key: versionKey(seen.model, seen.version),
    UpdateExpression: "SET #manifest.#chunks.#written = :next",
    ConditionExpression: "#manifest.#chunks.#removing = :true AND #manifest.#chunks.#written = :seen",
    ExpressionAttributeNames: { "#manifest": "manifest", "#chunks": "chunks", "#written": "written", "#removing": "removing" },
    ExpressionAttributeValues: { ":true": true, ":seen": writtenOf(seen), ":next": writtenOf(seen) - 1 },
  },
});

/**
 * Checks that a chunked manifest's file is still as read: PENDING_UPLOAD (on the version) with the
 * same multipart upload (on its chunk).
 */
export function checkChunkUploadInProgress(seen: VersionItem, chunk: ManifestChunkItem, indexInChunk: number): Write[] {
  return [
    {
      ConditionCheck: {
        Key: versionKey(seen.model, seen.version),
        ConditionExpression: "#status = :pending",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":pending": "PENDING_UPLOAD" },
      },
    },
    {
      ConditionCheck: {
        Key: manifestChunkKey(chunk.model, chunk.version, chunk.chunk),
        ConditionExpression: `#files[${indexInChunk}].uploadId = :uploadId`,
        ExpressionAttributeNames: { "#files": "files" },
        ExpressionAttributeValues: { ":uploadId": chunk.files[indexInChunk]?.uploadId },
      },
    },
  ];
}

const writtenOf = (version: VersionItem): number => version.manifest?.chunks?.written ?? 0;

/** Which chunk holds the file at `index` (the last chunk starting at or before it). */
export const chunkHolding = (starts: readonly number[], index: number): number => starts.findLastIndex((start) => start <= index);

/** A chunk's files as the version's files, each with its index in the manifest. */
export const chunkFiles = (chunk: ManifestChunkItem): VersionFile[] =>
  chunk.files.map((file, i) => ({ ...file, index: chunk.first + i, reused: file.reused === true }));

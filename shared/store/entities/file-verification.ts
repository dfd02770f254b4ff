import * as z from "../../zod";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { modelPartition, padNumber } from "../keys";
import type { Write } from "../writes";
import type { VerificationProgress } from "../../schemas/artifact";
import type { VerificationTask } from "../../schemas/verification-task";

export const FILE_VERIFICATION_ENTITY = "fileVerification";
const SCHEMA_VERSION = 1;

/**
 * One item per file of a VERIFYING version: what the file must hash to, and how far the verifier
 * got (`offset`, with the SHA-256 state saved there), so a follow-up or redelivered task continues
 * instead of starting over. `startedAt` names the verification (a FAILED version uploaded again
 * starts another): a task of an older one finds a different value and does nothing.
 */
export const fileVerificationKey = (name: string, version: number, path: string, index?: number) => ({
  pk: modelPartition(name),
  sk: `${versionPrefix(version)}${fileSlot(path, index)}`,
});

/**
 * Which file of the version: a manifest's by its index (a path may be 1,024 bytes, a sort key no
 * longer), the single artifact's by its name. A file name has no '/', so `files/<index>` never meets one.
 */
const fileSlot = (path: string, index: number | undefined): string => (index === undefined ? path : `files/${padNumber(index)}`);

const versionPrefix = (version: number) => `VERIFY#${padNumber(version)}#`;

export interface FileVerificationItem extends ItemBase {
  readonly model: string;
  readonly version: number;
  /** The file within the version: the artifact's file name, or the manifest's path. */
  readonly path: string;
  /** A manifest's file: its index in the manifest. */
  readonly index?: number;
  readonly key: string;
  readonly sizeBytes: number;
  /** Declared, lowercase hex. */
  readonly sha256: string;
  readonly startedAt: string;
  /** Who completed the upload, under which request: the verification settles the version on their behalf. */
  readonly actor: string;
  readonly requestId: string;
  /** The artifact reference's deletion generation read before hashing: the READY commit is conditioned on it. */
  readonly refGeneration?: number;
  /** Uploaded in parts: S3 keeps only a composite checksum of the object, never a full-object SHA-256 to HEAD for. */
  readonly uploadedInParts?: boolean;
  /**
   * The stored object's size, when it is not the declared one: the version fails, and hashing those
   * bytes tells whether they are the digest's (kept for the versions that declared them right) or not (deleted).
   */
  readonly storedSizeBytes?: number;
  /** Bytes [0, offset) are hashed into `state`. */
  readonly offset: number;
  readonly state?: string;
  /** Once the whole file is hashed: what it hashed to. */
  readonly actualSha256?: string;
  /** Which task run saved the progress last: tells its own retried save from a duplicate task's equal one. */
  readonly savedBy?: string;
  readonly updatedAt: string;
}

export const fileVerificationFromItem = itemReader(FILE_VERIFICATION_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(FILE_VERIFICATION_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    version: z.int(),
    path: z.string(),
    index: z.optional(z.int()),
    key: z.string(),
    sizeBytes: z.number(),
    sha256: z.string(),
    startedAt: z.string(),
    actor: z.string(),
    requestId: z.string(),
    refGeneration: z.optional(z.int()),
    uploadedInParts: z.optional(z.boolean()),
    storedSizeBytes: z.optional(z.number()),
    offset: z.number(),
    state: z.optional(z.string()),
    actualSha256: z.optional(z.string()),
    savedBy: z.optional(z.string()),
    updatedAt: z.string(),
  }),
);

/** A file's verification from byte 0; with `actualSha256` (S3 reported the object's full SHA-256), already hashed. */
export function newFileVerification(fields: Omit<FileVerificationItem, keyof ItemBase | "offset" | "updatedAt">): FileVerificationItem {
  return {
    ...fileVerificationKey(fields.model, fields.version, fields.path, fields.index),
    entity: FILE_VERIFICATION_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    ...fields,
    offset: fields.actualSha256 === undefined ? 0 : fields.sizeBytes,
    updatedAt: fields.startedAt,
  };
}

/** The key range of a version's files: one Query lists them. */
export const versionFilesRange = (name: string, version: number) => ({ pk: modelPartition(name), skPrefix: versionPrefix(version) });

/** Starts (or starts over) a file's verification: it rides with the version's move to VERIFYING, whose condition guards it. */
export const putFileVerification = (item: FileVerificationItem): Write => ({ Put: { Item: item } });

/**
 * A chunked manifest's file verification, written by its first task (not by the completion, whose
 * answer must not wait for thousands of writes). Invariant: never over progress of this verification
 * (a duplicate task wrote it first) or of a later one (this task is stale); over an earlier one's, yes.
 */
export const putFirstFileVerification = (item: FileVerificationItem): NonNullable<Write["Put"]> => ({
  Item: item,
  ConditionExpression: "attribute_not_exists(pk) OR startedAt < :startedAt",
  ExpressionAttributeValues: { ":startedAt": item.startedAt },
});

/**
 * Moves a file's verification on from `seen.offset`: to a saved state, or to its digest.
 * Invariant: progress only moves forward from where this task started, within the same verification —
 * a duplicate or stale task's write fails instead of moving it back or counting bytes twice.
 */
export function advanceFileVerification(
  seen: FileVerificationItem,
  next: { offset: number; state: string } | { actualSha256: string },
  now: string,
  savedBy: string,
): NonNullable<Write["Update"]> {
  const moved =
    "actualSha256" in next
      ? { set: "actualSha256 = :actual, #offset = :size REMOVE #state", values: { ":actual": next.actualSha256, ":size": seen.sizeBytes } }
      : { set: "#offset = :next, #state = :saved", values: { ":next": next.offset, ":saved": next.state } };
  return {
    Key: fileVerificationKey(seen.model, seen.version, seen.path, seen.index),
    UpdateExpression: `SET updatedAt = :now, savedBy = :savedBy, ${moved.set}`,
    ConditionExpression: "startedAt = :startedAt AND #offset = :from AND attribute_not_exists(actualSha256)",
    ExpressionAttributeNames: { "#offset": "offset", "#state": "state" },
    ExpressionAttributeValues: { ":now": now, ":savedBy": savedBy, ":startedAt": seen.startedAt, ":from": seen.offset, ...moved.values },
  };
}

/**
 * Whether the stored item holds this advance of `seen`, saved by `savedBy`: a write whose answer was
 * lost (a timeout under load) is sent again by the SDK, and that retry fails the condition its own
 * first try made false. A duplicate task's equal progress is not this run's: that run stops.
 */
export function holdsAdvance(
  stored: FileVerificationItem | undefined,
  seen: FileVerificationItem,
  next: { offset: number; state: string } | { actualSha256: string },
  savedBy: string,
): boolean {
  if (!stored || stored.startedAt !== seen.startedAt || stored.savedBy !== savedBy) return false;
  if ("actualSha256" in next) return stored.actualSha256 === next.actualSha256;
  return stored.actualSha256 === undefined && stored.offset === next.offset && stored.state === next.state;
}

/** How far a verification got over its files: those whose digest matched, and the bytes hashed so far. */
export function verificationProgressOf(files: readonly FileVerificationItem[]): VerificationProgress {
  return {
    filesVerified: files.filter((file) => file.actualSha256 === file.sha256).length,
    filesTotal: files.length,
    bytesVerified: files.reduce((sum, file) => sum + file.offset, 0),
    bytesTotal: files.reduce((sum, file) => sum + file.sizeBytes, 0),
  };
}

/** The task that moves this file's verification on. */
export const verificationTaskOf = ({ model, version, path, index, startedAt }: FileVerificationItem): VerificationTask => ({
  model,
  version,
  path,
  ...(index === undefined ? {} : { index }),
  startedAt,
});

/** A chunked manifest's first task of a file: it carries what the file's verification starts from, and writes it. */
export const firstTaskOf = (file: FileVerificationItem): VerificationTask => {
  const { key, sizeBytes, sha256, actor, requestId, refGeneration, uploadedInParts, storedSizeBytes, actualSha256 } = file;
  return {
    ...verificationTaskOf(file),
    start: { key, sizeBytes, sha256, actor, requestId, refGeneration, uploadedInParts, storedSizeBytes, actualSha256 },
  };
};

/** The verification a first task starts (firstTaskOf), as its completion saw it. */
export const startedByTask = ({ start, ...task }: VerificationTask & Required<Pick<VerificationTask, "start">>): FileVerificationItem =>
  newFileVerification({ ...task, ...start });

export const VERIFICATION_TALLY_ENTITY = "verificationTally";

/**
 * A chunked manifest's verification at a glance: how many of its objects are proven, out of how
 * many. Too many files for one commit to settle (one reference marked verified per object), each
 * file's proof commits on its own, counting here; the one that completes the count settles READY.
 * `startedAt` names the verification: a count of an older one fails its condition.
 */
export const verificationTallyKey = (name: string, version: number) => ({ pk: modelPartition(name), sk: `VERIFIED#${padNumber(version)}` });

export interface VerificationTallyItem extends ItemBase {
  readonly startedAt: string;
  readonly filesTotal: number;
  readonly bytesTotal: number;
  readonly filesVerified: number;
  readonly bytesVerified: number;
}

export const verificationTallyFromItem = itemReader(VERIFICATION_TALLY_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(VERIFICATION_TALLY_ENTITY, SCHEMA_VERSION),
    startedAt: z.string(),
    filesTotal: z.int(),
    bytesTotal: z.number(),
    filesVerified: z.int(),
    bytesVerified: z.number(),
  }),
);

/** A fresh count for the verification starting now: it rides with the version's move to VERIFYING. */
export function putVerificationTally(name: string, version: number, startedAt: string, files: readonly { sizeBytes: number }[]): Write {
  const item: VerificationTallyItem = {
    ...verificationTallyKey(name, version),
    entity: VERIFICATION_TALLY_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    startedAt,
    filesTotal: files.length,
    bytesTotal: files.reduce((sum, file) => sum + file.sizeBytes, 0),
    filesVerified: 0,
    bytesVerified: 0,
  };
  return { Put: { Item: item } };
}

/**
 * One file proven, counted once: its verification notes it was counted and the tally adds it.
 * Invariant: the file is hashed to its declared digest, not counted yet, in the tally's verification.
 */
export function countVerifiedFile(file: FileVerificationItem): [Write, Write] {
  return [
    {
      Update: {
        Key: fileVerificationKey(file.model, file.version, file.path, file.index),
        UpdateExpression: "SET counted = :true",
        ConditionExpression: "startedAt = :startedAt AND actualSha256 = :sha256 AND attribute_not_exists(counted)",
        ExpressionAttributeValues: { ":true": true, ":startedAt": file.startedAt, ":sha256": file.sha256 },
      },
    },
    {
      Update: {
        Key: verificationTallyKey(file.model, file.version),
        UpdateExpression: "ADD filesVerified :one, bytesVerified :bytes",
        ConditionExpression: "startedAt = :startedAt",
        ExpressionAttributeValues: { ":one": 1, ":bytes": file.sizeBytes, ":startedAt": file.startedAt },
      },
    },
  ];
}

/** How far a chunked manifest's verification got, from its tally. */
export const tallyProgress = (tally: VerificationTallyItem): VerificationProgress => ({
  filesVerified: tally.filesVerified,
  filesTotal: tally.filesTotal,
  bytesVerified: tally.bytesVerified,
  bytesTotal: tally.bytesTotal,
});

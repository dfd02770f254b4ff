import type { ArtifactView } from "../../schemas/artifact";
import type { TransactItem } from "../model-change";
import type { ItemBase } from "../table";

/** A version's uploaded bytes, kept on its item: what was declared, where it lives, how the upload stands. */
export interface ArtifactState {
  readonly filename: string;
  readonly sizeBytes: number;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly contentType: string;
  readonly key: string;
  readonly uri: string;
  /** Multipart uploads only: the upload the part URLs belong to (a restart starts a new one). */
  readonly uploadId?: string;
  readonly partSizeBytes?: number;
  readonly partCount?: number;
  /** FAILED only: what the verification found. */
  readonly failureReason?: string;
}

export function toArtifactView(state: ArtifactState): ArtifactView {
  const { key: _key, uploadId: _uploadId, ...view } = state;
  return view;
}

/** What history entries (and so events) say about the bytes. */
export const artifactSummary = (state: ArtifactState) => ({ uri: state.uri, sha256: state.sha256, sizeBytes: state.sizeBytes });

export const ARTIFACT_REF_ENTITY = "artifactRef";

/**
 * One item per stored object (outside any model's partition: models share objects). `refCount`
 * counts the versions that declare these bytes; the object is deleted when the last one goes.
 * `verifiedAt` is set once some version's verification proved the object holds exactly these
 * bytes: only then may a registration skip the upload.
 */
export const artifactRefKey = (sha256: string) => ({ pk: `ARTIFACT#${sha256}`, sk: "ARTIFACT" });

export interface ArtifactRefItem extends ItemBase {
  readonly sha256: string;
  readonly key: string;
  readonly refCount: number;
  readonly verifiedAt?: string;
  readonly sizeBytes?: number;
}

/** One more version declares these bytes. With `reuseVerified`, only while the object is still verified and referenced. */
export function addReference(tableName: string, state: ArtifactState, reuseVerified: boolean): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: artifactRefKey(state.sha256),
      UpdateExpression: "ADD refCount :one SET entity = :entity, schemaVersion = :schema, sha256 = :sha256, #key = :key",
      // Invariant: a registration that skips the upload relies on verified bytes that no deletion is removing.
      ...(reuseVerified ? { ConditionExpression: "refCount > :zero AND attribute_exists(verifiedAt) AND sizeBytes = :size" } : {}),
      ExpressionAttributeNames: { "#key": "key" },
      ExpressionAttributeValues: {
        ":one": 1,
        ":entity": ARTIFACT_REF_ENTITY,
        ":schema": 1,
        ":sha256": state.sha256,
        ":key": state.key,
        ...(reuseVerified ? { ":zero": 0, ":size": state.sizeBytes } : {}),
      },
    },
  };
}

/** A verification proved the object holds the declared bytes. */
export function markVerified(tableName: string, state: ArtifactState, now: string): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: artifactRefKey(state.sha256),
      UpdateExpression: "SET verifiedAt = if_not_exists(verifiedAt, :now), sizeBytes = :size",
      // Invariant: the version being verified holds a reference, so the ref exists.
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":now": now, ":size": state.sizeBytes },
    },
  };
}

/** One version fewer: the last one deletes the ref (and, after the commit, the object). Conditioned on the count that was read. */
export function dropReference(tableName: string, ref: ArtifactRefItem): { write: TransactItem; last: boolean } {
  const key = artifactRefKey(ref.sha256);
  // Invariant: nobody added or dropped a reference since we read the count (else retry with the new count).
  const condition = { ConditionExpression: "refCount = :seen", ExpressionAttributeValues: { ":seen": ref.refCount } };
  if (ref.refCount <= 1) return { write: { Delete: { TableName: tableName, Key: key, ...condition } }, last: true };
  return { write: { Update: { TableName: tableName, Key: key, UpdateExpression: "SET refCount = :next", ...condition, ExpressionAttributeValues: { ":seen": ref.refCount, ":next": ref.refCount - 1 } } }, last: false };
}

import * as z from "../../zod";
import { artifactView, type ArtifactView } from "../../schemas/artifact";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { allOf, expect, type Condition, type Write } from "../writes";

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
  /** VERIFYING (and after): when the verification of these bytes started, which names it. */
  readonly verificationStartedAt?: string;
}

/** Built by the readers that hold it (./version.ts), on their first read. */
export const artifactState = () =>
  z.object({
    ...z.built(artifactView).shape,
    key: z.string(),
    uploadId: z.optional(z.string()),
    verificationStartedAt: z.optional(z.string()),
  });

export function toArtifactView(state: ArtifactState): ArtifactView {
  const { key: _key, uploadId: _uploadId, verificationStartedAt: _started, ...view } = state;
  return view;
}

/** What history entries (and so events) say about the bytes. */
export const artifactSummary = (state: ArtifactState) => ({ uri: state.uri, sha256: state.sha256, sizeBytes: state.sizeBytes });

export const ARTIFACT_REF_ENTITY = "artifactRef";
const REF_SCHEMA_VERSION = 1;

/**
 * One item per stored object (outside any model's partition: models share objects). `refCount`
 * counts the versions that declare these bytes; the object is deleted when the last one goes.
 * `verifiedAt` is set once some version's verification proved the object holds exactly these
 * bytes: only then may a registration skip the upload.
 *
 * Deleting the object (bytes that failed verification, or the last reference gone) is claimed here
 * first: the claim bumps `generation`, removes `verifiedAt` and holds until `discardingUntil`; the
 * release after the S3 delete bumps `generation` again. A verification commits only if the
 * generation is the one it read before hashing and no claim holds, so bytes a verification vouched
 * for are never deleted under it, and bytes being deleted are never vouched for.
 */
export const artifactRefKey = (sha256: string) => ({ pk: `ARTIFACT#${sha256}`, sk: "ARTIFACT" });

export interface ArtifactRefItem extends ItemBase {
  readonly sha256: string;
  readonly key: string;
  readonly refCount: number;
  readonly verifiedAt?: string;
  readonly sizeBytes?: number;
  /** Bumped when a deletion of the object is claimed and when it is released (absent: never). */
  readonly generation?: number;
  /** While a deletion is claimed: until when the claim holds. */
  readonly discardingUntil?: string;
}

export const artifactRefFromItem = itemReader(ARTIFACT_REF_ENTITY, REF_SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(ARTIFACT_REF_ENTITY, REF_SCHEMA_VERSION),
    sha256: z.string(),
    key: z.string(),
    refCount: z.int(),
    verifiedAt: z.optional(z.string()),
    sizeBytes: z.optional(z.int()),
    generation: z.optional(z.int()),
    discardingUntil: z.optional(z.string()),
  }),
);

/** A deletion of the object is claimed and its claim still holds at `now`. */
export const isDiscarding = (ref: ArtifactRefItem | undefined, now: string): boolean =>
  ref?.discardingUntil !== undefined && ref.discardingUntil > now;

/** One more version declares these bytes. With `reuseVerified`, only while the object is still verified and referenced. */
export function addReference(state: Pick<ArtifactState, "sha256" | "key" | "sizeBytes">, reuseVerified: boolean): Write {
  return {
    Update: {
      Key: artifactRefKey(state.sha256),
      UpdateExpression: "ADD refCount :one SET entity = :entity, schemaVersion = :schema, sha256 = :sha256, #key = :key",
      // Invariant: a registration that skips the upload relies on verified bytes that no deletion is removing (a claim removes verifiedAt).
      ...(reuseVerified ? { ConditionExpression: "refCount > :zero AND attribute_exists(verifiedAt) AND sizeBytes = :size" } : {}),
      ExpressionAttributeNames: { "#key": "key" },
      ExpressionAttributeValues: {
        ":one": 1,
        ":entity": ARTIFACT_REF_ENTITY,
        ":schema": REF_SCHEMA_VERSION,
        ":sha256": state.sha256,
        ":key": state.key,
        ...(reuseVerified ? { ":zero": 0, ":size": state.sizeBytes } : {}),
      },
    },
  };
}

/**
 * A verification proved the object holds the declared bytes. `seenGeneration` is the ref's, as read
 * before the object was hashed.
 */
export function markVerified(state: Pick<ArtifactState, "sha256" | "sizeBytes">, seenGeneration: number | undefined, now: string): Write {
  const unchanged = sameGeneration(seenGeneration);
  return {
    Update: {
      Key: artifactRefKey(state.sha256),
      UpdateExpression: "SET verifiedAt = if_not_exists(verifiedAt, :now), sizeBytes = :size",
      // Invariant: the hashed object is still the one stored — no deletion was claimed or released since it was read, none holds now.
      ConditionExpression: `attribute_exists(pk) AND ${unchanged.ConditionExpression} AND ${NO_CLAIM_HOLDS}`,
      ExpressionAttributeValues: { ":now": now, ":size": state.sizeBytes, ...unchanged.ExpressionAttributeValues },
    },
  };
}

/** Claims the deletion of bytes that failed verification: only while no verification vouched for them and no other claim holds. */
export function claimUnverifiedDiscard(ref: ArtifactRefItem, now: string, until: string): Write {
  const unchanged = sameGeneration(ref.generation);
  return {
    Update: {
      Key: artifactRefKey(ref.sha256),
      UpdateExpression: claim(),
      // Invariant: bytes some verification vouched for are never deleted as unverified.
      ConditionExpression: `attribute_not_exists(verifiedAt) AND ${unchanged.ConditionExpression} AND ${NO_CLAIM_HOLDS}`,
      ExpressionAttributeValues: { ":now": now, ":until": until, ":zero": 0, ":one": 1, ...unchanged.ExpressionAttributeValues },
    },
  };
}

/**
 * One version fewer, conditioned on the ref as read. The last one claims the object's deletion
 * (`claimed`), unless another claim holds: that claimant then also removes the ref.
 */
export function dropReference(ref: ArtifactRefItem, now: string, until: string): { write: Write; claimed: boolean } {
  // Invariant: nobody added or dropped a reference, or claimed or released a deletion, since we read the ref (else retry).
  const unchanged = allOf(expect("refCount", ref.refCount, { as: ":seen" }), sameGeneration(ref.generation));
  const condition = unchanged.ConditionExpression;
  const values = { ":next": Math.max(0, ref.refCount - 1), ...unchanged.ExpressionAttributeValues };
  const Key = artifactRefKey(ref.sha256);
  if (ref.refCount > 1 || isDiscarding(ref, now)) {
    return {
      write: {
        Update: { Key, UpdateExpression: "SET refCount = :next", ConditionExpression: condition, ExpressionAttributeValues: values },
      },
      claimed: false,
    };
  }
  return {
    write: {
      Update: {
        Key,
        UpdateExpression: claim(", refCount = :next"),
        ConditionExpression: condition,
        ExpressionAttributeValues: { ...values, ":until": until, ":zero": 0, ":one": 1 },
      },
    },
    claimed: true,
  };
}

/** The generation a claim made from `ref` leaves behind: what its release is conditioned on. */
export const claimedGeneration = (ref: ArtifactRefItem): number => (ref.generation ?? 0) + 1;

/**
 * Ends a claim after the object was deleted: the ref goes when no version references it any more,
 * else it stays unverified (the next upload stores the bytes again). Conditioned on the claim being
 * still ours (`generation`); a claim taken over after its lease expired is left to its new holder.
 */
export function releaseDiscard(
  sha256: string,
  generation: number,
): { removeUnreferenced: NonNullable<Write["Delete"]>; release: NonNullable<Write["Update"]> } {
  const Key = artifactRefKey(sha256);
  return {
    removeUnreferenced: {
      Key,
      ConditionExpression: "generation = :claimed AND refCount = :zero",
      ExpressionAttributeValues: { ":claimed": generation, ":zero": 0 },
    },
    release: {
      Key,
      UpdateExpression: "SET generation = generation + :one REMOVE discardingUntil",
      ConditionExpression: "generation = :claimed",
      ExpressionAttributeValues: { ":claimed": generation, ":one": 1 },
    },
  };
}

const claim = (alsoSet = ""): string =>
  `SET generation = if_not_exists(generation, :zero) + :one, discardingUntil = :until${alsoSet} REMOVE verifiedAt`;
const NO_CLAIM_HOLDS = "(attribute_not_exists(discardingUntil) OR discardingUntil <= :now)";

const sameGeneration = (seen: number | undefined): Condition => expect("generation", seen ?? null, { absent: "attribute" });

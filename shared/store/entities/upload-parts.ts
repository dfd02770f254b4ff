import * as z from "../../zod";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition, padNumber } from "../keys";

export const UPLOAD_PARTS_ENTITY = "uploadParts";
const SCHEMA_VERSION = 1;
const DIGEST_BYTES = 32;

/**
 * The part digests a client declared for a version's multipart upload: S3 wants each part's
 * checksum again when the parts are assembled. 32 bytes per part number in one binary attribute
 * (all zeros: not declared), so even 10,000 parts fit one item. One item per uploaded file: the
 * single artifact's, or a manifest file's keyed by its index (a path may be longer than a sort key).
 */
export const uploadPartsKey = (name: string, version: number, file?: number) => ({
  pk: modelPartition(name),
  sk: `UPLOAD#${padNumber(version)}${file === undefined ? "" : `#FILE#${padNumber(file)}`}`,
});

export interface UploadPartsItem extends ItemBase {
  readonly model: string;
  readonly version: number;
  readonly digests: Uint8Array;
  /** Bumped on every write: the optimistic lock for merging declarations. */
  readonly revision: number;
}

/** The bytes a file's item holds for `parts`: a digest's room for every part number up to the highest declared. */
export const digestBytes = (parts: readonly { partNumber: number }[]): number =>
  Math.max(0, ...parts.map((p) => p.partNumber)) * DIGEST_BYTES;

/** `existing` with `parts` declared (a part declared again takes its new digest: the client re-splits or re-uploads it). */
export function withDeclaredParts(
  existing: UploadPartsItem | undefined,
  name: string,
  version: number,
  parts: readonly { partNumber: number; sha256: string }[],
  file?: number,
): UploadPartsItem {
  const digests = new Uint8Array(Math.max(existing?.digests.length ?? 0, digestBytes(parts)));
  if (existing) digests.set(existing.digests);
  for (const part of parts) digests.set(Buffer.from(part.sha256, "hex"), (part.partNumber - 1) * DIGEST_BYTES);
  return {
    ...uploadPartsKey(name, version, file),
    entity: UPLOAD_PARTS_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    model: name,
    version,
    digests,
    revision: (existing?.revision ?? 0) + 1,
  };
}

/** The declared digest of one part (hex), or undefined when it was never declared. */
export function declaredDigest(item: UploadPartsItem | undefined, partNumber: number): string | undefined {
  const digest = item?.digests.subarray((partNumber - 1) * DIGEST_BYTES, partNumber * DIGEST_BYTES);
  if (!digest || digest.length < DIGEST_BYTES || digest.every((byte) => byte === 0)) return undefined;
  return Buffer.from(digest).toString("hex");
}

export const uploadPartsFromItem = itemReader(UPLOAD_PARTS_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(UPLOAD_PARTS_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    version: z.int(),
    digests: z.instanceof(Uint8Array),
    revision: z.int(),
  }),
);

/** Invariant: merge onto the declarations that were read, never over a concurrent merge (that one retries). */
export const putUploadParts = (item: UploadPartsItem): Write => ({
  Put: { Item: item, ...expect("revision", item.revision === 1 ? null : item.revision - 1, { as: ":seen" }) },
});

export const deleteUploadParts = (name: string, version: number, file?: number): Write => ({
  Delete: { Key: uploadPartsKey(name, version, file) },
});

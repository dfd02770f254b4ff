import { ValidationError } from "./errors";

export const MiB = 1024 * 1024;
/** The rate every verification task reaches by default (VERIFY_ASSURED_MIBPS), MiB/s. */
export const DEFAULT_VERIFY_ASSURED_MIBPS = 40;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** Up to this size one presigned PUT carries the bytes; above it, a multipart upload. */
export const SINGLE_PUT_MAX_BYTES = 64 * MiB;
/** S3's limits for multipart uploads and objects. */
export const S3_MIN_PART_BYTES = 5 * MiB;
export const S3_MAX_PART_BYTES = 5 * GiB;
export const S3_MAX_PARTS = 10_000;
export const S3_MAX_OBJECT_BYTES = 5 * TiB;
/** The smallest part the registry picks itself: fewer round trips than S3's 5 MiB minimum. */
export const DEFAULT_MIN_PART_BYTES = 8 * MiB;

/** Content-addressed: identical bytes share one object, whatever model or version declares them. */
export const artifactObjectKey = (sha256Hex: string): string => `artifacts/sha256/${sha256Hex}`;

/** The API speaks lowercase hex (what `sha256sum` prints); S3's checksum headers want base64. */
export const hexToBase64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");
export const base64ToHex = (base64: string): string => Buffer.from(base64, "base64").toString("hex");

export type UploadPlan =
  | { readonly method: "PUT" }
  | { readonly method: "MULTIPART"; readonly partSizeBytes: number; readonly partCount: number };

/**
 * How `sizeBytes` travel to S3: one PUT up to 64 MiB, else parts of equal size (the last one
 * shorter) with at most 10,000 of them. The registry's choice is the smallest whole number of MiB
 * that keeps the count under 10,000, and at least 8 MiB; a client may ask for its own part size.
 */
export function planUpload(sizeBytes: number, requestedPartSize?: number, where = "body.artifact.partSizeBytes"): UploadPlan {
  if (sizeBytes <= SINGLE_PUT_MAX_BYTES) return { method: "PUT" };
  const partSizeBytes = requestedPartSize ?? Math.max(DEFAULT_MIN_PART_BYTES, Math.ceil(sizeBytes / S3_MAX_PARTS / MiB) * MiB);
  const partCount = Math.ceil(sizeBytes / partSizeBytes);
  if (partSizeBytes < S3_MIN_PART_BYTES || partSizeBytes > S3_MAX_PART_BYTES || partCount > S3_MAX_PARTS) {
    const smallest = Math.max(S3_MIN_PART_BYTES, Math.ceil(sizeBytes / S3_MAX_PARTS));
    throw new ValidationError(
      `A part size of ${partSizeBytes} bytes does not work for ${sizeBytes} bytes: parts are 5 MiB to 5 GiB and at most 10,000; ` +
        `this artifact needs at least ${smallest}. Leave partSizeBytes out to let the registry choose.`,
      [{ path: where, message: `between ${smallest} and ${S3_MAX_PART_BYTES}` }],
    );
  }
  return { method: "MULTIPART", partSizeBytes, partCount };
}

/** The declared size must fit the bucket's limit (configurable, never above S3's 5 TiB). */
export function assertArtifactSize(sizeBytes: number, maxBytes: number): void {
  if (sizeBytes > maxBytes) {
    throw new ValidationError(`The artifact declares ${sizeBytes} bytes; this registry accepts at most ${maxBytes}.`, [
      { path: "body.artifact.sizeBytes", message: `at most ${maxBytes}` },
    ]);
  }
}

/** Declared part numbers must exist in the plan: a single PUT has none, a multipart upload 1..partCount. */
export function assertPartNumbers(plan: UploadPlan, partNumbers: readonly number[], path: string): void {
  if (partNumbers.length === 0) return;
  if (plan.method === "PUT") {
    throw new ValidationError(`This artifact is uploaded with one PUT (it is at most ${SINGLE_PUT_MAX_BYTES} bytes): it has no parts.`, [
      { path, message: "a single-PUT upload has no parts" },
    ]);
  }
  const outside = partNumbers.filter((n) => n > plan.partCount);
  if (outside.length > 0) {
    throw new ValidationError(
      `This upload has parts 1..${plan.partCount} (${plan.partSizeBytes} bytes each); there is no part ${outside.join(", ")}.`,
      [{ path, message: `part numbers are 1..${plan.partCount}` }],
    );
  }
}

/** Part numbers of 1..partCount that `given` misses, and those it names twice. */
export function partCoverage(partCount: number, given: readonly number[]): { missing: number[]; duplicates: number[] } {
  const seen = new Set<number>();
  const duplicates = new Set<number>();
  for (const n of given) (seen.has(n) ? duplicates : seen).add(n);
  const missing: number[] = [];
  for (let n = 1; n <= partCount; n++) if (!seen.has(n)) missing.push(n);
  return { missing, duplicates: [...duplicates] };
}

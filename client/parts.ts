import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { planUpload, type UploadPlan } from "../shared/domain/artifacts";
import { DomainError } from "../shared/domain/errors";
import type { PartDigest } from "../shared/schemas/artifact";
import { UsageError } from "./errors";

/** How a file travels: one PUT (a single "part" of the whole size) or parts of `partSizeBytes`, the last one shorter. */
export interface PartPlan {
  readonly method: UploadPlan["method"];
  readonly partSizeBytes: number;
  readonly partCount: number;
}

/**
 * The server's own plan (`planUpload`, docs/artifacts.md): one PUT up to 64 MiB, else parts of a
 * whole number of MiB, at least 8 MiB, at most 10,000; or the part size asked for (5 MiB – 5 GiB).
 * An empty file is one PUT of nothing: a directory's files may be empty (the registry refuses an
 * empty single artifact itself, saying so).
 */
export function planParts(sizeBytes: number, requestedPartSize?: number): PartPlan {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0)
    throw new UsageError(`A file's size is a whole number of bytes, not ${sizeBytes}.`);
  // A part size of 1, not 0: hashing a file that grew meanwhile still ends (and its digest then differs).
  if (sizeBytes === 0) return { method: "PUT", partSizeBytes: 1, partCount: 1 };
  let plan: UploadPlan;
  try {
    plan = planUpload(sizeBytes, requestedPartSize);
  } catch (error) {
    if (error instanceof DomainError) throw new UsageError(error.message);
    throw error;
  }
  return plan.method === "PUT" ? { method: "PUT", partSizeBytes: sizeBytes, partCount: 1 } : plan;
}

/** The byte range [start, end) of part `partNumber` (1-based). */
export function partRange(plan: PartPlan, sizeBytes: number, partNumber: number): { start: number; end: number } {
  const start = (partNumber - 1) * plan.partSizeBytes;
  return { start, end: Math.min(start + plan.partSizeBytes, sizeBytes) };
}

export interface FileDigests {
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Each part's SHA-256, in part order (one part for a single PUT). */
  readonly parts: readonly PartDigest[];
}

/** One read of the file (of its first `sizeBytes`, when given): the whole file's SHA-256 and each part's, side by side. */
export async function hashFile(
  path: string,
  plan: PartPlan,
  onBytes: (bytes: number) => void = () => {},
  sizeBytes = Number.POSITIVE_INFINITY,
): Promise<FileDigests> {
  const whole = createHash("sha256");
  const parts: PartDigest[] = [];
  let part = createHash("sha256");
  let partFill = 0;
  let bytesRead = 0;
  const chunks =
    sizeBytes === 0 ? [] : (createReadStream(path, { highWaterMark: 1024 * 1024, end: sizeBytes - 1 }) as AsyncIterable<Buffer>);
  for await (const chunk of chunks) {
    whole.update(chunk);
    bytesRead += chunk.length;
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(chunk.length - offset, plan.partSizeBytes - partFill);
      part.update(chunk.subarray(offset, offset + take));
      offset += take;
      partFill += take;
      if (partFill === plan.partSizeBytes) {
        parts.push({ partNumber: parts.length + 1, sha256: part.digest("hex") });
        part = createHash("sha256");
        partFill = 0;
      }
    }
    onBytes(chunk.length);
  }
  if (partFill > 0) parts.push({ partNumber: parts.length + 1, sha256: part.digest("hex") });
  return { sizeBytes: bytesRead, sha256: whole.digest("hex"), parts };
}

/** What a file was when the push looked at it: it declares this size, so its digests must be of these bytes. */
export interface ListedFile {
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

/**
 * `hashFile`, refused (UsageError) when the file changed while it was read (a checkpoint still
 * being written): its digests would be of other bytes than the size declared beside them, and the
 * version could never verify.
 */
export async function hashListedFile(
  path: string,
  listed: ListedFile,
  plan: PartPlan,
  onBytes?: (bytes: number) => void,
): Promise<FileDigests> {
  // Only the listed bytes: an empty file growing meanwhile would be hashed in parts of one byte.
  const digests = await hashFile(path, plan, onBytes, listed.sizeBytes);
  const now = await stat(path);
  if (digests.sizeBytes !== listed.sizeBytes || now.size !== listed.sizeBytes || now.mtimeMs !== listed.mtimeMs)
    throw new UsageError(
      `${path} changed while it was read (${listed.sizeBytes} bytes before, ${now.size} now; modified ${new Date(now.mtimeMs).toISOString()}): push again once it is fully written.`,
    );
  return digests;
}

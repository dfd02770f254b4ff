import * as z from "zod";
import { S3_MAX_PARTS } from "../domain/artifacts";

/** Lowercase hex, what `sha256sum` prints. */
export const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, "a sha256 is 64 lowercase hex characters (what sha256sum prints)")
  .meta({ example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" });

const filename = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !/[/\\]/.test(name) && !name.includes(".."), "a file name has no path: no '/', '\\' or '..'")
  // It ends up in a Content-Disposition header on download.
  .refine((name) => !/["\p{Cc}]/u.test(name), "a file name has no quotes or control characters")
  .meta({ example: "model.tar.gz" });

const contentType = z
  .string()
  .max(255)
  .regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, "a content type is type/subtype, e.g. application/gzip")
  .meta({ example: "application/gzip" });

const partNumber = z.number().int().min(1).max(S3_MAX_PARTS);

/**
 * Per request at most this many part URLs (about 1 KB each): an answer must fit the one DynamoDB
 * item (≤ 400 KB) that replays it for an Idempotency-Key.
 */
const MAX_PART_URLS_PER_REQUEST = 250;

const partDigests = z
  .array(z.strictObject({ partNumber, sha256: sha256Hex }))
  .max(MAX_PART_URLS_PER_REQUEST, `at most ${MAX_PART_URLS_PER_REQUEST} parts per request; ask for the rest with POST …/artifact/parts`)
  .refine((parts) => new Set(parts.map((p) => p.partNumber)).size === parts.length, "each part number at most once")
  .meta({ description: "SHA-256 of each part (as the client split the file): each part's URL signs its digest, so S3 refuses other bytes" });
export type PartDigest = z.infer<typeof partDigests>[number];

/** SPEC §4: the bytes a version will hold, declared before they are uploaded. */
export const artifactDeclaration = z.strictObject({
  filename,
  sizeBytes: z.number().int().min(1, "an artifact has at least 1 byte"),
  sha256: sha256Hex,
  contentType: contentType.optional(),
  partSizeBytes: z.number().int().optional().meta({ description: "Ask for this part size (5 MiB to 5 GiB, at most 10,000 parts); ignored for a single PUT" }),
  parts: partDigests.optional(),
});
export type ArtifactDeclaration = z.infer<typeof artifactDeclaration>;

export const partUrlsBody = z.strictObject({ parts: partDigests.min(1, "name at least one part") });
export type PartUrlsInput = z.infer<typeof partUrlsBody>;

/** The body is optional: a single-PUT upload needs nothing but fresh URLs. */
export const restartUploadBody = z.strictObject({ parts: partDigests.optional() }).default({});
export type RestartUploadInput = z.infer<typeof restartUploadBody>;

export const completeUploadBody = z
  .strictObject({
    parts: z
      .array(z.strictObject({ partNumber, etag: z.string().min(1).max(1024) }))
      .max(S3_MAX_PARTS)
      .optional()
      .meta({ description: "Multipart uploads: every part with the ETag its PUT answered" }),
  })
  .optional();
export type CompleteUploadInput = z.infer<typeof completeUploadBody>;

const presignedRequest = z.object({
  url: z.string(),
  headers: z.record(z.string(), z.string()).meta({ description: "Send these exactly: the URL signs them (x-amz-checksum-sha256 is the digest in base64)" }),
});

const partUrl = presignedRequest.extend({ partNumber: z.number().int() });

const singleUploadView = presignedRequest.extend({ method: z.literal("PUT"), expiresAt: z.string() });
const multipartUploadView = z.object({
  method: z.literal("MULTIPART"),
  uploadId: z.string(),
  partSizeBytes: z.number().int(),
  partCount: z.number().int(),
  parts: z.array(partUrl).meta({ description: "A URL for each declared part" }),
  expiresAt: z.string(),
});
export const uploadView = z.discriminatedUnion("method", [singleUploadView, multipartUploadView]);
export type UploadView = z.infer<typeof uploadView>;

/** The artifact as a version shows it: where the bytes are and what they are. */
export const artifactView = z.object({
  uri: z.string().meta({ example: "s3://model-registry-artifacts/artifacts/sha256/9f86…" }),
  filename: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  contentType: z.string(),
  partSizeBytes: z.number().int().optional(),
  partCount: z.number().int().optional(),
  failureReason: z.string().optional(),
});
export type ArtifactView = z.infer<typeof artifactView>;

export const downloadView = z.object({
  url: z.string(),
  expiresAt: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  filename: z.string(),
});
export type DownloadView = z.infer<typeof downloadView>;

export const deletedVersionView = z.object({
  model: z.string(),
  version: z.number().int(),
  deleted: z.literal(true),
  artifactDeleted: z.boolean().meta({ description: "Whether the artifact object went too (no other version shares it)" }),
});
export type DeletedVersionView = z.infer<typeof deletedVersionView>;

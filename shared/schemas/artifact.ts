import * as z from "../zod";
import { S3_MAX_PARTS } from "../domain/artifacts";
import { MAX_FILES_PER_VERSION, MAX_NAME_BYTES, manifestPathProblems } from "../domain/file-paths";
import { cursor, limit } from "./common";

/** 64 hex digits in either case (what sha256sum or a Windows tool prints), kept lowercase: one digest, one spelling. */
export const sha256Hex = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .string()
    .check(z.regex(/^[0-9a-fA-F]{64}$/, "a sha256 is 64 hex characters (what sha256sum prints)"), z.toLowerCase())
    .register(z.globalRegistry, { example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }),
);

const filename = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .string()
    .check(
      z.minLength(1),
      z.refine(
        (name) => Buffer.byteLength(name, "utf8") <= MAX_NAME_BYTES,
        `a file name is at most ${MAX_NAME_BYTES} bytes of UTF-8 (what file systems hold)`,
      ),
      z.refine((name) => !/[/\\]/.test(name) && !name.includes(".."), "a file name has no path: no '/', '\\' or '..'"),
      // It ends up in a Content-Disposition header on download.
      z.refine((name) => !/["\p{Cc}]/u.test(name), "a file name has no quotes or control characters"),
    )
    .register(z.globalRegistry, { example: "model.tar.gz" }),
);

const contentType = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .string()
    .check(z.maxLength(255), z.regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, "a content type is type/subtype, e.g. application/gzip"))
    .register(z.globalRegistry, { example: "application/gzip" }),
);

const partNumber = /* @__PURE__ */ z.onFirstUse(() => z.int().check(z.gte(1), z.lte(S3_MAX_PARTS)));

/**
 * Per request at most this many part URLs: an answer must fit the one DynamoDB item (≤ 400 KB) that
 * replays it for an Idempotency-Key. Signed with a Lambda role's session token, a URL takes about
 * 1.8 KB; a registration's answer also carries 64 KiB of metadata and 50 files' uploads (337 KB in
 * all at this bound, 673 KB at 250). A registration's files share this bound.
 */
export const MAX_PART_URLS_PER_REQUEST = 64;

const partDigests = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .array(z.strictObject({ partNumber, sha256: sha256Hex }))
    .check(
      z.maxLength(
        MAX_PART_URLS_PER_REQUEST,
        `at most ${MAX_PART_URLS_PER_REQUEST} parts per request; ask for the rest with POST …/artifact/parts`,
      ),
      z.refine((parts) => new Set(parts.map((p) => p.partNumber)).size === parts.length, "each part number at most once"),
    )
    .register(z.globalRegistry, {
      description: "SHA-256 of each part (as the client split the file): each part's URL signs its digest, so S3 refuses other bytes",
    }),
);
export type PartDigest = z.infer<typeof partDigests>[number];

/** docs/artifacts.md: the bytes a version will hold, declared before they are uploaded. */
export const artifactDeclaration = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    filename,
    sizeBytes: z.int().check(z.gte(1, "an artifact has at least 1 byte")),
    sha256: sha256Hex,
    contentType: z.optional(contentType),
    partSizeBytes: z.optional(z.int()).register(z.globalRegistry, {
      description: "Ask for this part size (5 MiB to 5 GiB, at most 10,000 parts); ignored for a single PUT",
    }),
    parts: z.optional(partDigests),
  }),
);
export type ArtifactDeclaration = z.infer<typeof artifactDeclaration>;

/** One file of a multi-file version: where it sits in the version's directory, and its bytes. */
const fileDeclaration = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    path: z.string().register(z.globalRegistry, {
      description:
        "Relative, '/'-separated, NFC, at most 1,024 bytes of UTF-8 (255 a name), unique ignoring case, no file also a directory",
      example: "tokenizer/vocab.json",
    }),
    sizeBytes: z.int().check(z.gte(0, "a file has at least 0 bytes")),
    sha256: sha256Hex,
    contentType: z.optional(contentType),
    partSizeBytes: z.optional(z.int()).register(z.globalRegistry, {
      description: "A file over 64 MiB is uploaded in parts: ask for this part size (5 MiB to 5 GiB, at most 10,000 parts)",
    }),
    parts: z.optional(partDigests),
  }),
);

/** The part URLs a registration answers for all its files together stay within one answer's bound. */
const declaredPartCount = (files: readonly { parts?: readonly unknown[] }[]): number =>
  files.reduce((sum, file) => sum + (file.parts?.length ?? 0), 0);

/** docs/artifacts.md: the files a version will hold, each checked against the path rules (a 400 names the file and the rule). */
export const filesDeclaration = /* @__PURE__ */ z.onFirstUse(() =>
  z.array(fileDeclaration).check(
    z.minLength(1, "a version holds at least one file"),
    z.maxLength(MAX_FILES_PER_VERSION, `a version holds at most ${MAX_FILES_PER_VERSION} files`),
    z.superRefine((files, ctx) => {
      for (const { index, path, rule } of manifestPathProblems(files.map((file) => file.path)))
        ctx.issues.push({ code: "custom", path: [index, "path"], message: `file ${index} ('${path}'): ${rule}`, input: path });
    }),
    z.superRefine((files, ctx) => {
      const firstWith = new Map<string, number>();
      for (const [index, { path, sizeBytes, sha256 }] of files.entries()) {
        const first = firstWith.get(sha256) ?? index;
        firstWith.set(sha256, first);
        // Files of one SHA-256 share one object, checked at the first one's size: the others' must be that size too.
        const carrier = files[first] as FileDeclaration;
        if (carrier.sizeBytes === sizeBytes) continue;
        const message = `file ${index} ('${path}') declares ${sizeBytes} bytes with the SHA-256 of file ${first} ('${carrier.path}'), which declares ${carrier.sizeBytes}: the same bytes have one size`;
        ctx.issues.push({ code: "custom", path: [index, "sizeBytes"], message, input: sizeBytes });
      }
    }),
    z.refine(
      (files) => declaredPartCount(files) <= MAX_PART_URLS_PER_REQUEST,
      `at most ${MAX_PART_URLS_PER_REQUEST} parts declared across the files; declare the rest with POST …/artifact/parts and { path, parts }`,
    ),
  ),
);
export type FileDeclaration = z.infer<typeof fileDeclaration>;

export const partUrlsBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    path: z
      .optional(z.string())
      .register(z.globalRegistry, { description: "Which file (its path, or the artifact's file name); optional for one file" }),
    parts: z.built(partDigests).check(z.minLength(1, "name at least one part")),
  }),
);
export type PartUrlsInput = z.infer<typeof partUrlsBody>;

/** The body is optional: a single-PUT upload needs nothing but fresh URLs. */
export const restartUploadBody = /* @__PURE__ */ z.onFirstUse(() => z._default(z.strictObject({ parts: z.optional(partDigests) }), {}));
export type RestartUploadInput = z.infer<typeof restartUploadBody>;

const uploadedParts = /* @__PURE__ */ z.onFirstUse(() =>
  z.array(z.strictObject({ partNumber, etag: z.string().check(z.minLength(1), z.maxLength(1024)) })).check(z.maxLength(S3_MAX_PARTS)),
);

export const completeUploadBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.optional(
    z
      .strictObject({
        parts: z
          .optional(uploadedParts)
          .register(z.globalRegistry, { description: "A single artifact's multipart upload: every part with the ETag its PUT answered" }),
        files: z
          .optional(
            z.array(z.strictObject({ path: z.string(), parts: uploadedParts })).check(
              z.maxLength(MAX_FILES_PER_VERSION),
              z.refine((files) => new Set(files.map((file) => file.path)).size === files.length, "each path at most once"),
            ),
          )
          .register(z.globalRegistry, {
            description: "A multi-file version: each file uploaded in parts, with every part and the ETag its PUT answered",
          }),
      })
      .check(
        z.refine((body) => body.parts === undefined || body.files === undefined, {
          message: "give parts (a single artifact) or files (several), not both",
          path: ["files"],
        }),
      ),
  ),
);
export type CompleteUploadInput = z.infer<typeof completeUploadBody>;

/** A VERIFYING version's progress: files whose digest is proven, bytes hashed so far. */
export const verificationProgress = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    filesVerified: z.int(),
    filesTotal: z.int(),
    bytesVerified: z.number(),
    bytesTotal: z.number(),
  }),
);
export type VerificationProgress = z.infer<typeof verificationProgress>;

const presignedRequest = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    url: z.string(),
    headers: z.record(z.string(), z.string()).register(z.globalRegistry, {
      description: "Send these exactly: the URL signs them (x-amz-checksum-sha256 is the digest in base64)",
    }),
  }),
);

const partUrl = /* @__PURE__ */ z.onFirstUse(() => z.extend(z.built(presignedRequest), { partNumber: z.int() }));

const singleUploadView = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(presignedRequest), { method: z.literal("PUT"), expiresAt: z.string() }),
);
const multipartUploadView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    method: z.literal("MULTIPART"),
    uploadId: z.string(),
    partSizeBytes: z.int(),
    partCount: z.int(),
    parts: z.array(partUrl).register(z.globalRegistry, { description: "A URL for each declared part" }),
    expiresAt: z.string(),
  }),
);
export const uploadView = /* @__PURE__ */ z.onFirstUse(() => z.discriminatedUnion("method", [singleUploadView, multipartUploadView]));
export type UploadView = z.infer<typeof uploadView>;

/** The artifact as a version shows it: where the bytes are and what they are. */
export const artifactView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    uri: z.string().register(z.globalRegistry, { example: "s3://model-registry-artifacts/artifacts/sha256/9f86…" }),
    filename: z.string(),
    sizeBytes: z.int(),
    sha256: z.string(),
    contentType: z.string(),
    partSizeBytes: z.optional(z.int()),
    partCount: z.optional(z.int()),
    failureReason: z.optional(z.string()),
  }),
);
export type ArtifactView = z.infer<typeof artifactView>;

/** A multi-file version's files at a glance. */
export const filesView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    count: z.int(),
    totalBytes: z.number(),
    deduplicated: z.int().register(z.globalRegistry, {
      description: "Files whose bytes the registry already held, verified: they were neither uploaded nor hashed again",
    }),
    registration: z.optional(z.object({ chunksWritten: z.int(), chunksTotal: z.int() })).register(z.globalRegistry, {
      description:
        "Only while the manifest of a registration of more than 64 files is not all written (it stopped midway): complete refuses the version; delete it and register again",
    }),
    failureReason: z.optional(z.string()),
  }),
);
export type FilesView = z.infer<typeof filesView>;

/** Per file of a registration's manifest: how to send its bytes, or null when there is nothing to send. */
export const fileUploadView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    path: z.string(),
    upload: z.nullable(uploadView).register(z.globalRegistry, {
      description: "null: the registry holds these bytes, verified, or an earlier file of this manifest carries the same bytes",
    }),
  }),
);
export type FileUploadView = z.infer<typeof fileUploadView>;

export const downloadView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    url: z.string(),
    expiresAt: z.string(),
    sha256: z.string(),
    sizeBytes: z.int(),
    filename: z.string(),
  }),
);
export type DownloadView = z.infer<typeof downloadView>;

const fileDownload = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ path: z.string(), sizeBytes: z.int(), sha256: z.string(), contentType: z.string(), url: z.string() }),
);

/** A page of a multi-file version's manifest, each file with a presigned GET (15 minutes): told from a single artifact's answer by `files`. */
export const manifestDownloadView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    files: z.array(fileDownload),
    nextCursor: z.optional(z.string()),
    expiresAt: z.string(),
  }),
);
export type ManifestDownloadView = z.infer<typeof manifestDownloadView>;

/** What GET …/artifact answers: one artifact's URL (`url`), or a page of a multi-file version's files (`files`). */
export const artifactDownloadView = /* @__PURE__ */ z.onFirstUse(() => z.union([downloadView, manifestDownloadView]));
export type ArtifactDownloadView = z.infer<typeof artifactDownloadView>;

export const artifactDownloadQuery = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ limit, cursor }));

/** A page of a multi-file version's upload plan, in the order declared. */
export const uploadsPage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    uploads: z.array(fileUploadView),
    nextCursor: z.optional(z.string()),
  }),
);
export type UploadsPage = z.infer<typeof uploadsPage>;
export const uploadsQuery = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ limit, cursor }));

/** One file of a READY version, with a presigned GET (15 minutes). */
export const fileDownloadView = /* @__PURE__ */ z.onFirstUse(() => z.extend(z.built(fileDownload), { expiresAt: z.string() }));
export type FileDownloadView = z.infer<typeof fileDownloadView>;

export const deletedVersionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    model: z.string(),
    version: z.int(),
    deleted: z.literal(true),
    artifactDeleted: z.boolean().register(z.globalRegistry, {
      description: "Whether an object of the version went too (one no other version shares; for several files, at least one)",
    }),
  }),
);
export type DeletedVersionView = z.infer<typeof deletedVersionView>;

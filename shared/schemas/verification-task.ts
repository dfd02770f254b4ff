import * as z from "../zod";

/** One file of a version to verify: the message body on the verification queue. */
export const verificationTask = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    model: z.string().check(z.minLength(1)),
    version: z.int().check(z.positive()),
    path: z.string().check(z.minLength(1)),
    /** A manifest's file: its index, which keys its progress. */
    index: z.optional(z.int().check(z.gte(0))),
    /** Which verification of the version: a task of an earlier one (the version was uploaded again since) does nothing. */
    startedAt: z.string(),
    /**
     * A chunked manifest's first task of a file: what the file's verification starts from (its
     * progress item, which the verifier writes on first delivery, not the completion that sent it).
     */
    start: z.optional(
      z.strictObject({
        key: z.string().check(z.minLength(1)),
        sizeBytes: z.number().check(z.gte(0)),
        sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
        actor: z.string(),
        requestId: z.string(),
        refGeneration: z.optional(z.int()),
        /** Uploaded in parts: no full-object SHA-256 to HEAD for. */
        uploadedInParts: z.optional(z.boolean()),
        /** The stored object's size, when it is not the declared one: the bytes to hash. */
        storedSizeBytes: z.optional(z.number().check(z.gte(0))),
        /** S3 reported the object's full SHA-256: nothing to hash, only to count. */
        actualSha256: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
      }),
    ),
  }),
);
export type VerificationTask = z.infer<typeof verificationTask>;

import * as z from "../zod";

/** One file of a version to verify: the message body on the verification queue. */
export const verificationTask = z.strictObject({
  model: z.string().check(z.minLength(1)),
  version: z.int().check(z.positive()),
  path: z.string().check(z.minLength(1)),
  /** A manifest's file: its index, which keys its progress. */
  index: z.optional(z.int().check(z.gte(0))),
  /** Which verification of the version: a task of an earlier one (the version was uploaded again since) does nothing. */
  startedAt: z.string(),
});
export type VerificationTask = z.infer<typeof verificationTask>;

import * as z from "../zod";

export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9]*([_-][a-z0-9]+)*$/;

export const modelName = z
  .string()
  .check(
    z.minLength(3, "a model name has 3 to 64 characters"),
    z.maxLength(64, "a model name has 3 to 64 characters"),
    z.regex(MODEL_NAME_PATTERN, "a model name is lowercase letters and digits, words joined by '_' or '-', starting with a letter (e.g. fraud_detector)"),
  )
  .register(z.globalRegistry, { description: "Product-centric model name", example: "fraud_detector" });

export const tags = z
  .record(z.string().check(z.minLength(1), z.maxLength(128, "a tag key has at most 128 characters")), z.string().check(z.maxLength(256, "a tag value has at most 256 characters")))
  .check(z.refine((value) => Object.keys(value).length <= 50, "at most 50 tags"))
  .register(z.globalRegistry, { description: "Free-form labels, at most 50", example: { team: "risk" } });

export const description = z.string().check(z.maxLength(4096));

export const limit = z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25);
export const cursor = z.optional(z.string().check(z.minLength(1), z.maxLength(2048))).register(z.globalRegistry, { description: "Opaque cursor from a previous page's nextCursor" });

export const SEMVER_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
export const semver = z.string().check(z.regex(SEMVER_PATTERN, "a semantic version label is MAJOR.MINOR.PATCH, e.g. 1.4.0"));

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.unknown()), requestId: z.optional(z.string()) }),
});

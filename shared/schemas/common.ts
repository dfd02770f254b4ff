import * as z from "zod";

export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9]*([_-][a-z0-9]+)*$/;

export const modelName = z
  .string()
  .min(3, "a model name has 3 to 64 characters")
  .max(64, "a model name has 3 to 64 characters")
  .regex(MODEL_NAME_PATTERN, "a model name is lowercase letters and digits, words joined by '_' or '-', starting with a letter (e.g. fraud_detector)")
  .meta({ description: "Product-centric model name", example: "fraud_detector" });

export const tags = z
  .record(z.string().min(1).max(128, "a tag key has at most 128 characters"), z.string().max(256, "a tag value has at most 256 characters"))
  .refine((value) => Object.keys(value).length <= 50, "at most 50 tags")
  .meta({ description: "Free-form labels, at most 50", example: { team: "risk" } });

export const description = z.string().max(4096);

export const limit = z.coerce.number().int().min(1).max(100).default(25);
export const cursor = z.string().min(1).max(2048).optional().meta({ description: "Opaque cursor from a previous page's nextCursor" });

export const SEMVER_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
export const semver = z.string().regex(SEMVER_PATTERN, "a semantic version label is MAJOR.MINOR.PATCH, e.g. 1.4.0");

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional(), requestId: z.string().optional() }),
});

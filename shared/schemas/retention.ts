import * as z from "../zod";
import type { RetentionRules } from "../domain/retention";
import { cursor, limit, modelName } from "./common";
import { stage, versionPath, versionStatus } from "./version";

// Bounded so that an age in milliseconds stays exact and a count stays a count.
const count = (description: string, max: number) =>
  z.optional(z.int().check(z.gte(0), z.lte(max))).register(z.globalRegistry, { description });

/** A model's retention rules (docs/lifecycle.md, Retention): every rule is optional; PUT replaces them all, `{}` removes them. */
export const retentionBody = /* @__PURE__ */ z.onFirstUse(
  () =>
    z.strictObject({
      keepArchived: count("Archived versions beyond the newest N are deleted", 10_000),
      deleteArchivedAfterDays: count("Archived versions unchanged for this many days are deleted", 36_500),
      abandonedUploadsAfterHours: count("PENDING_UPLOAD or FAILED versions in None, unchanged for this many hours, are deleted", 876_000),
    }) satisfies z.ZodMiniType<RetentionRules, unknown>,
);

export const retentionPath = /* @__PURE__ */ z.onFirstUse(() => z.object({ name: modelName }));

export const retentionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(retentionBody), {
    model: z.string(),
    updatedAt: z.optional(z.string()),
    updatedBy: z.optional(z.string()),
    lastRunAt: z.optional(z.string()).register(z.globalRegistry, { description: "When housekeeping last applied the rules" }),
  }),
);
export type RetentionView = z.infer<typeof retentionView>;

const ruleVerdict = () => ({
  version: z.int(),
  stage,
  status: versionStatus,
  reason: z.string().register(z.globalRegistry, {
    description: "The rule, as the deletion's history entry names it",
    example: "retention: keepArchived 5",
  }),
});

export const retentionPreview = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    model: z.string(),
    rules: retentionBody,
    deletions: z
      .array(z.object(ruleVerdict()))
      .register(z.globalRegistry, { description: "What the next run deletes, highest version first" }),
    spared: z.array(z.extend(z.object(ruleVerdict()), { because: z.string() })).register(z.globalRegistry, {
      description:
        "Versions a rule names that stay: protected, named by an alias, the version a rollback of Production puts back, or a lineage parent of a version that stays",
    }),
    nextCursor: z.optional(z.string()).register(z.globalRegistry, {
      description:
        "When more verdicts follow than the page holds (`limit`, and at most 2 MiB of them): pass it as `cursor` for those of the versions below",
    }),
  }),
);
export type RetentionPreview = z.infer<typeof retentionPreview>;
export const retentionPreviewQuery = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ limit, cursor }));

/** Protecting a version keeps every retention rule away from it; only an admin sets or clears it. */
export const protectionBody = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ protected: z.boolean() }));
export const protectionPath = versionPath;

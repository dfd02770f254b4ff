import * as z from "../zod";
import { modelName, namedMap, storableNumber } from "./common";
import { metricName, stage } from "./version";
import type { StageGate } from "../domain/policy";

const tagKey = z.string().check(z.minLength(1), z.maxLength(128));

/** The rules a version must meet to enter one stage (the domain's StageGate): every rule is optional. */
export const stageGate = z.strictObject({
  minMetrics: z
    .optional(namedMap(metricName, storableNumber))
    .register(z.globalRegistry, { description: "metric → lowest allowed value", example: { auc: 0.9 } }),
  maxMetrics: z
    .optional(namedMap(metricName, storableNumber))
    .register(z.globalRegistry, { description: "metric → highest allowed value", example: { latency_p99_ms: 50 } }),
  requiredTags: z
    .optional(z.union([z.array(tagKey).check(z.maxLength(50)), namedMap(tagKey, z.string().check(z.maxLength(256)))]))
    .register(z.globalRegistry, {
      description: "tag keys the version must carry, or key → the value it must have",
      example: { reviewed: "yes" },
    }),
  requireFrom: z
    .optional(
      z.union([
        z.pipe(
          stage,
          z.transform((from) => [from]),
        ),
        z.array(stage).check(z.minLength(1)),
      ]),
    )
    .register(z.globalRegistry, { description: "the stage(s) the version must come from; Production defaults to Staging" }),
  separateApprover: z
    .optional(z.boolean())
    .register(z.globalRegistry, { description: "the caller moving the version must not be its creator" }),
}) satisfies z.ZodMiniType<StageGate, unknown>;

/** A model's promotion policy: one gate per target stage. PUT replaces the whole policy. */
export const policyBody = z.strictObject({ Staging: z.optional(stageGate), Production: z.optional(stageGate) });
export type PromotionPolicy = z.output<typeof policyBody>;

export const policyPath = z.object({ name: modelName });

export const policyView = z.extend(policyBody, {
  model: z.string(),
  revision: z.int().register(z.globalRegistry, { description: "Bumped by every PUT; 0 while the model has no policy" }),
  updatedAt: z.optional(z.string()),
  updatedBy: z.optional(z.string()),
});
export type PolicyView = z.infer<typeof policyView>;

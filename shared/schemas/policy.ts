import * as z from "zod";
import { modelName } from "./common";
import { finite, metricName, stage } from "./version";

const tagKey = z.string().min(1).max(128);

/** The rules a version must meet to enter one stage; every rule is optional. */
export const stageGate = z.strictObject({
  minMetrics: z.record(metricName, finite).optional().meta({ description: "metric → lowest allowed value", example: { auc: 0.9 } }),
  maxMetrics: z.record(metricName, finite).optional().meta({ description: "metric → highest allowed value", example: { latency_p99_ms: 50 } }),
  requiredTags: z
    .union([z.array(tagKey).max(50), z.record(tagKey, z.string().max(256))])
    .optional()
    .meta({ description: "tag keys the version must carry, or key → the value it must have", example: { reviewed: "yes" } }),
  requireFrom: z
    .union([stage.transform((from) => [from]), z.array(stage).min(1)])
    .optional()
    .meta({ description: "the stage(s) the version must come from; Production defaults to Staging" }),
  separateApprover: z.boolean().optional().meta({ description: "the caller moving the version must not be its creator" }),
});
export type StageGate = z.output<typeof stageGate>;

export const GATED_STAGES = ["Staging", "Production"] as const;
export type GatedStage = (typeof GATED_STAGES)[number];

/** A model's promotion policy: one gate per target stage. PUT replaces the whole policy. */
export const policyBody = z.strictObject({ Staging: stageGate.optional(), Production: stageGate.optional() });
export type PromotionPolicy = z.output<typeof policyBody>;

export const policyPath = z.object({ name: modelName });

export const policyView = policyBody.extend({
  model: z.string(),
  revision: z.number().int().meta({ description: "Bumped by every PUT; 0 while the model has no policy" }),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
});
export type PolicyView = z.infer<typeof policyView>;

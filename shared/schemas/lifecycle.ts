import * as z from "zod";
import { cursor, limit, modelName } from "./common";
import { assignedStage, stage, versionView } from "./version";
import { MODEL_URI_FORMS, parseModelUri } from "../domain/model-uri";

const reason = z.string().min(1).max(1024).meta({ description: "Why: kept in the history and the event", example: "offline evaluation passed" });

export const transitionBody = z.strictObject({
  to: stage,
  reason,
  expectedCurrentVersion: z
    .number()
    .int()
    .positive()
    .nullable()
    .optional()
    .meta({ description: "Compare-and-set: the version you saw in Production (null: none); 409 StageConflict if it changed. Without it, the occupant read when the request starts." }),
  archiveExisting: z.boolean().default(false).meta({ description: "Moving to Staging: archive the versions already in Staging" }),
});
export type TransitionInput = z.infer<typeof transitionBody>;

export const transitionView = z.object({
  version: z.number().int(),
  from: stage,
  to: stage,
  archived: z.array(z.number().int()).meta({ description: "Versions this move sent to Archived (the previous Production occupant, or Staging with archiveExisting)" }),
});
export type TransitionView = z.infer<typeof transitionView>;

export const stagePath = z.object({ name: modelName, stage: assignedStage });

export const rollbackPath = z.object({
  name: modelName,
  stage: z.literal("Production", { error: "only Production has a rollback (it holds one version at a time); move other stages with POST /models/{name}/versions/{v}/transitions" }),
});
export const rollbackBody = z.strictObject({ reason });

export const stageListPath = z.object({ stage: assignedStage });
export const stageListQuery = z.object({ limit, cursor });

const modelUri = z
  .string()
  .max(512)
  .transform((uri, ctx) => {
    const parsed = parseModelUri(uri);
    if (parsed) return { uri, ...parsed };
    ctx.addIssue({ code: "custom", message: `'${uri}' is not a model URI; use one of ${MODEL_URI_FORMS.join(", ")} (e.g. models:/fraud_detector/Production)` });
    return z.NEVER;
  })
  .meta({ description: `One of ${MODEL_URI_FORMS.join(", ")}`, example: "models:/fraud_detector/Production" });

export const resolveQuery = z.object({ uri: modelUri });

export const resolvedVersionView = versionView.extend({
  resolvedFrom: z.string().meta({ description: "The URI asked for; `uri` is the version's own, immutable one" }),
});
export type ResolvedVersionView = z.infer<typeof resolvedVersionView>;

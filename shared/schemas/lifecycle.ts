import * as z from "../zod";
import { cursor, limit, modelName } from "./common";
import { assignedStageName, stage, stageName, versionView } from "./version";
import { MODEL_URI_FORMS, parseModelUri } from "../domain/model-uri";
import { pathRuleBroken } from "../domain/file-paths";

const REASON_REQUIRED =
  "reason is required: say why in a few words; it is kept in the history and sent with the event, for whoever audits this change";
const reason = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .string({ error: REASON_REQUIRED })
    // Blanks say no more than nothing to whoever audits the change.
    .check(
      z.minLength(1, REASON_REQUIRED),
      z.maxLength(1024),
      z.refine((text) => text.trim() !== "", REASON_REQUIRED),
    )
    .register(z.globalRegistry, { description: "Why: kept in the history and the event", example: "offline evaluation passed" }),
);

export const transitionBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    to: stageName,
    reason,
    expectedCurrentVersion: z.optional(z.nullable(z.int().check(z.positive()))).register(z.globalRegistry, {
      description:
        "Compare-and-set: the version you saw in Production (null: none); 409 StageConflict if it changed. Without it, " +
        "the occupant read when the request starts.",
    }),
    archiveExisting: z
      ._default(z.boolean(), false)
      .register(z.globalRegistry, { description: "Moving to Staging: archive the versions already in Staging" }),
  }),
);
export type TransitionInput = z.infer<typeof transitionBody>;

export const transitionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    version: z.int(),
    from: stage,
    to: stage,
    archived: z.array(z.int()).register(z.globalRegistry, {
      description: "Versions this move sent to Archived (the previous Production occupant, or Staging with archiveExisting)",
    }),
  }),
);
export type TransitionView = z.infer<typeof transitionView>;

export const stagePath = /* @__PURE__ */ z.onFirstUse(() => z.object({ name: modelName, stage: assignedStageName }));

export const rollbackPath = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    name: modelName,
    stage: z.pipe(
      assignedStageName,
      z.literal("Production", {
        error:
          "only Production has a rollback (it holds one version at a time); move other stages with POST /models/{name}/versions/{v}/transitions",
      }),
    ),
  }),
);
export const rollbackBody = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ reason }));

export const stageListPath = /* @__PURE__ */ z.onFirstUse(() => z.object({ stage: assignedStageName }));
export const stageListQuery = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ limit, cursor }));

const modelUri = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .pipe(
      z.string().check(z.maxLength(512)),
      z.transform((uri, ctx) => {
        const parsed = parseModelUri(uri);
        const fileRule = parsed?.file === undefined ? undefined : pathRuleBroken(parsed.file);
        if (parsed && !fileRule) return { uri, ...parsed };
        if (fileRule) {
          ctx.issues.push({ code: "custom", message: `'${uri}' names the file '${parsed?.file}', but ${fileRule}`, input: uri });
          return z.NEVER;
        }
        ctx.issues.push({
          code: "custom",
          message: `'${uri}' is not a model URI; use one of ${MODEL_URI_FORMS.join(", ")} (e.g. models:/fraud_detector/Production)`,
          input: uri,
        });
        return z.NEVER;
      }),
    )
    .register(z.globalRegistry, { description: `One of ${MODEL_URI_FORMS.join(", ")}`, example: "models:/fraud_detector/Production" }),
);

export const resolveQuery = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ uri: modelUri }));

export const resolvedVersionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.extend(z.built(versionView), {
    resolvedFrom: z.string().register(z.globalRegistry, { description: "The URI asked for; `uri` is the version's own, immutable one" }),
    file: z.optional(z.string()).register(z.globalRegistry, {
      description: "The file the URI names, when it names one: GET …/versions/{v}/artifact/files/{path+} downloads it",
    }),
  }),
);
export type ResolvedVersionView = z.infer<typeof resolvedVersionView>;

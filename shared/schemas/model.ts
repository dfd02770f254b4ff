import * as z from "../zod";
import { cursor, description, limit, modelName, tags } from "./common";
import { metricName } from "./version";

/** How many metrics a model may index: each is one more item written with every version. */
export const MAX_KEY_METRICS = 3;

const keyMetricDeclaration = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    name: metricName,
    direction: z.enum(["max", "min"]).register(z.globalRegistry, {
      description: "Which way is better: max (auc, accuracy) or min (loss, latency); a filter on the metric lists the best first",
    }),
  }),
);

const keyMetricDeclarations = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .array(keyMetricDeclaration)
    .check(
      z.maxLength(MAX_KEY_METRICS, `at most ${MAX_KEY_METRICS} key metrics`),
      z.refine((metrics) => new Set(metrics.map((metric) => metric.name)).size === metrics.length, "each key metric is named once"),
    )
    .register(z.globalRegistry, {
      description: "Metrics the registry indexes, so that filtering and sorting versions by them reads only the versions listed",
    }),
);

export const modelPath = /* @__PURE__ */ z.onFirstUse(() => z.object({ name: modelName }));

export const createModelBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({ name: modelName, description: z.optional(description), tags: z.optional(tags) }),
);
export type CreateModelInput = z.infer<typeof createModelBody>;

export const updateModelBody = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .strictObject({ description: z.optional(description), tags: z.optional(tags), keyMetrics: z.optional(keyMetricDeclarations) })
    .check(
      z.refine(
        (body) => body.description !== undefined || body.tags !== undefined || body.keyMetrics !== undefined,
        "give description, tags, keyMetrics or several",
      ),
    ),
);
export type UpdateModelInput = z.infer<typeof updateModelBody>;

export const listModelsQuery = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({ prefix: z.optional(z.string().check(z.maxLength(64))), limit, cursor }),
);

export const modelView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    name: z.string(),
    description: z.optional(z.string()),
    tags: z.record(z.string(), z.string()),
    latestVersion: z.nullable(z.int()).register(z.globalRegistry, {
      description: "The newest READY version: the one `latest` names (models:/<name>/latest); null while none is READY",
    }),
    latestRegisteredVersion: z.nullable(z.int()).register(z.globalRegistry, {
      description: "The highest version number handed out, READY or not; null before the first registration",
    }),
    stages: z.object({ Production: z.optional(z.int()), Staging: z.optional(z.array(z.int())) }),
    aliases: z.record(z.string(), z.int()),
    keyMetrics: z.optional(
      z.array(
        z.extend(z.built(keyMetricDeclaration), {
          indexedFrom: z.int().register(z.globalRegistry, {
            description:
              "The first version the metric's index holds: 1 once every version is indexed; above 1 when the metric was declared on a model with too many versions to index at once",
          }),
        }),
      ),
    ),
    createdAt: z.string(),
    createdBy: z.string(),
    updatedAt: z.string(),
    warnings: z.optional(z.array(z.string())),
  }),
);
export type ModelView = z.infer<typeof modelView>;

export const modelPage = /* @__PURE__ */ z.onFirstUse(() => z.object({ items: z.array(modelView), nextCursor: z.optional(z.string()) }));

export const deletedModelView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    model: z.string(),
    deleted: z.literal(true),
    versionsDeleted: z.int().register(z.globalRegistry, {
      description: "Versions this request removed (a DELETE repeated after one that stopped midway counts only its own)",
    }),
    artifactObjectsDeleted: z.int().register(z.globalRegistry, {
      description: "Artifact objects this request deleted: those no version of another model shares",
    }),
  }),
);
export type DeletedModelView = z.infer<typeof deletedModelView>;

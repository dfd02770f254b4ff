import * as z from "../zod";
import { cursor, description, limit, modelName, tags } from "./common";

export const modelPath = z.object({ name: modelName });

export const createModelBody = z.strictObject({ name: modelName, description: z.optional(description), tags: z.optional(tags) });
export type CreateModelInput = z.infer<typeof createModelBody>;

export const updateModelBody = z
  .strictObject({ description: z.optional(description), tags: z.optional(tags) })
  .check(z.refine((body) => body.description !== undefined || body.tags !== undefined, "give description, tags or both"));
export type UpdateModelInput = z.infer<typeof updateModelBody>;

export const listModelsQuery = z.strictObject({ prefix: z.optional(z.string().check(z.maxLength(64))), limit, cursor });

export const modelView = z.object({
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
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  warnings: z.optional(z.array(z.string())),
});
export type ModelView = z.infer<typeof modelView>;

export const modelPage = z.object({ items: z.array(modelView), nextCursor: z.optional(z.string()) });

export const deletedModelView = z.object({
  model: z.string(),
  deleted: z.literal(true),
  versionsDeleted: z.int().register(z.globalRegistry, {
    description: "Versions this request removed (a DELETE repeated after one that stopped midway counts only its own)",
  }),
  artifactObjectsDeleted: z.int().register(z.globalRegistry, {
    description: "Artifact objects this request deleted: those no version of another model shares",
  }),
});
export type DeletedModelView = z.infer<typeof deletedModelView>;

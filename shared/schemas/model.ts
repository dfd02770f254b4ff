import * as z from "zod";
import { cursor, description, limit, modelName, tags } from "./common";

export const modelPath = z.object({ name: modelName });

export const createModelBody = z.strictObject({ name: modelName, description: description.optional(), tags: tags.optional() });
export type CreateModelInput = z.infer<typeof createModelBody>;

export const updateModelBody = z
  .strictObject({ description: description.optional(), tags: tags.optional() })
  .refine((body) => body.description !== undefined || body.tags !== undefined, "give description, tags or both");
export type UpdateModelInput = z.infer<typeof updateModelBody>;

export const listModelsQuery = z.object({ prefix: z.string().max(64).optional(), limit, cursor });

export const modelView = z.object({
  name: z.string(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  latestVersion: z.number().int().nullable(),
  stages: z.object({ Production: z.number().int().optional(), Staging: z.array(z.number().int()).optional() }),
  aliases: z.record(z.string(), z.number().int()),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  warnings: z.array(z.string()).optional(),
});
export type ModelView = z.infer<typeof modelView>;

export const modelPage = z.object({ items: z.array(modelView), nextCursor: z.string().optional() });

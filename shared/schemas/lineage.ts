import * as z from "../zod";
import { cursor, limit } from "./common";

export const datasetPath = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    id: z
      .string()
      .check(z.minLength(1), z.maxLength(256))
      .register(z.globalRegistry, { description: "A dataset id as versions name it in lineage.datasets[].id", example: "fraud_training" }),
  }),
);

export const datasetUsageQuery = /* @__PURE__ */ z.onFirstUse(() => z.strictObject({ limit, cursor }));

/** One version trained on the dataset, and which version of the dataset it used. */
export const datasetUsageView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ model: z.string(), version: z.int(), datasetVersion: z.optional(z.string()) }),
);
export type DatasetUsageView = z.infer<typeof datasetUsageView>;

export const datasetUsagePage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ items: z.array(datasetUsageView), nextCursor: z.optional(z.string()) }),
);

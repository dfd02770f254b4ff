import * as z from "zod";
import { cursor, limit } from "./common";

export const datasetPath = z.object({ id: z.string().min(1).max(256).meta({ description: "A dataset id as versions name it in lineage.datasets[].id", example: "fraud_training" }) });

export const datasetUsageQuery = z.strictObject({ limit, cursor });

/** One version trained on the dataset, and which version of the dataset it used. */
export const datasetUsageView = z.object({ model: z.string(), version: z.number().int(), datasetVersion: z.string().optional() });
export type DatasetUsageView = z.infer<typeof datasetUsageView>;

export const datasetUsagePage = z.object({ items: z.array(datasetUsageView), nextCursor: z.string().optional() });

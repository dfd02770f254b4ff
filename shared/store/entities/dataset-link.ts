import * as z from "../../zod";
import type { DatasetUsageView } from "../../schemas/lineage";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition, padNumber } from "../keys";

export const DATASET_LINK_ENTITY = "datasetLink";
const SCHEMA_VERSION = 1;

/** One item per (version, dataset): the index partition DATASET#<id> lists every version trained on it. */
export interface DatasetLinkItem extends ItemBase {
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly datasetId: string;
  readonly datasetVersion?: string;
  readonly model: string;
  readonly version: number;
}

export const datasetIndexPartition = (datasetId: string) => `DATASET#${datasetId}`;
const datasetLinkKey = (name: string, version: number, datasetId: string) => ({
  pk: modelPartition(name),
  sk: `DATASET#${datasetId}#${padNumber(version)}`,
});

export function newDatasetLinkItem(fields: {
  model: string;
  version: number;
  datasetId: string;
  datasetVersion?: string;
}): DatasetLinkItem {
  return {
    ...datasetLinkKey(fields.model, fields.version, fields.datasetId),
    gsi1pk: datasetIndexPartition(fields.datasetId),
    gsi1sk: `${fields.model}#${padNumber(fields.version)}`,
    entity: DATASET_LINK_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    datasetId: fields.datasetId,
    datasetVersion: fields.datasetVersion,
    model: fields.model,
    version: fields.version,
  };
}

export const datasetLinkFromItem = itemReader(
  DATASET_LINK_ENTITY,
  SCHEMA_VERSION,
  z.looseObject({
    ...itemBase(DATASET_LINK_ENTITY, SCHEMA_VERSION),
    gsi1pk: z.string(),
    gsi1sk: z.string(),
    datasetId: z.string(),
    datasetVersion: z.optional(z.string()),
    model: z.string(),
    version: z.int(),
  }),
);

export const putDatasetLink = (item: DatasetLinkItem): Write => ({ Put: { Item: item } });

export const deleteDatasetLink = (name: string, version: number, datasetId: string): Write => ({
  Delete: { Key: datasetLinkKey(name, version, datasetId) },
});

export function toDatasetUsageView(item: DatasetLinkItem): DatasetUsageView {
  return { model: item.model, version: item.version, datasetVersion: item.datasetVersion };
}

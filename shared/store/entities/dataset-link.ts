import type { DatasetUsageView } from "../../schemas/lineage";
import type { ItemBase } from "../table";
import { modelPartition, padNumber } from "../keys";

export const DATASET_LINK_ENTITY = "datasetLink";

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

export function newDatasetLinkItem(fields: { model: string; version: number; datasetId: string; datasetVersion?: string }): DatasetLinkItem {
  return {
    pk: modelPartition(fields.model),
    sk: `DATASET#${fields.datasetId}#${padNumber(fields.version)}`,
    gsi1pk: datasetIndexPartition(fields.datasetId),
    gsi1sk: `${fields.model}#${padNumber(fields.version)}`,
    entity: DATASET_LINK_ENTITY,
    schemaVersion: 1,
    datasetId: fields.datasetId,
    datasetVersion: fields.datasetVersion,
    model: fields.model,
    version: fields.version,
  };
}

export function toDatasetUsageView(item: DatasetLinkItem): DatasetUsageView {
  return { model: item.model, version: item.version, datasetVersion: item.datasetVersion };
}

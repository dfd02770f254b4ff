import * as z from "../../zod";
import type { DatasetUsageView } from "../../schemas/lineage";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition, padNumber } from "../keys";
import { versionLinkFields, versionLinkIndexKey, type VersionLinkItem } from "./version-link";

export const DATASET_LINK_ENTITY = "datasetLink";
const SCHEMA_VERSION = 1;

/** One item per (version, dataset): the index partition DATASET#<id> lists every version trained on it. */
export interface DatasetLinkItem extends VersionLinkItem {
  readonly datasetId: string;
  readonly datasetVersion?: string;
}

export const datasetIndexPartition = (datasetId: string) => `DATASET#${datasetId}`;
const datasetLinkKey = (name: string, version: number, datasetId: string) => ({
  pk: modelPartition(name),
  sk: `DATASET#${datasetId}#${padNumber(version)}`,
});

function newDatasetLinkItem(fields: { model: string; version: number; datasetId: string; datasetVersion?: string }): DatasetLinkItem {
  return {
    ...datasetLinkKey(fields.model, fields.version, fields.datasetId),
    ...versionLinkIndexKey(datasetIndexPartition(fields.datasetId), fields.model, fields.version),
    entity: DATASET_LINK_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    datasetId: fields.datasetId,
    datasetVersion: fields.datasetVersion,
    model: fields.model,
    version: fields.version,
  };
}

export const datasetLinkFromItem = itemReader(DATASET_LINK_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(DATASET_LINK_ENTITY, SCHEMA_VERSION),
    ...versionLinkFields(),
    datasetId: z.string(),
    datasetVersion: z.optional(z.string()),
  }),
);

type LineageOf = { readonly model: string; readonly version: number; readonly lineage: { readonly datasets: readonly Dataset[] } };
type Dataset = { readonly id: string; readonly version?: string };

/** One link per dataset the version names: a dataset named twice is linked once, with the version named first. */
function linkedDatasets({ lineage }: LineageOf): Dataset[] {
  const first = new Map<string, Dataset>();
  for (const dataset of lineage.datasets) if (!first.has(dataset.id)) first.set(dataset.id, dataset);
  return [...first.values()];
}

/** The links a new version's lineage makes: written in the version's registration. */
export const linkDatasets = (version: LineageOf): Write[] =>
  linkedDatasets(version).map((dataset) => ({
    Put: {
      Item: newDatasetLinkItem({ model: version.model, version: version.version, datasetId: dataset.id, datasetVersion: dataset.version }),
    },
  }));

/** The same links, deleted with the version. */
export const unlinkDatasets = (version: LineageOf): Write[] =>
  linkedDatasets(version).map((dataset) => ({ Delete: { Key: datasetLinkKey(version.model, version.version, dataset.id) } }));

export function toDatasetUsageView(item: DatasetLinkItem): DatasetUsageView {
  return { model: item.model, version: item.version, datasetVersion: item.datasetVersion };
}

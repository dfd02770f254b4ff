import { toDatasetUsageView } from "../store/entities/dataset-link";
import type { Page } from "../store/pages";
import type { DatasetUsageView } from "../schemas/lineage";
import type { ListingDeps } from "./deps";
import { ofModelsInService } from "./models-in-service";

/**
 * Impact analysis: every version, of any model, trained on a dataset (one Query of the index
 * partition DATASET#<id> that registration fills). An unknown dataset is an empty list, not a 404:
 * the registry only knows datasets through the versions that name them. A model being deleted has none.
 */
export async function listDatasetUsage(
  deps: ListingDeps,
  datasetId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<DatasetUsageView>> {
  const result = await deps.listings.datasetUsage(datasetId, page);
  return { items: (await ofModelsInService(deps, result.items)).map(toDatasetUsageView), nextCursor: result.nextCursor };
}

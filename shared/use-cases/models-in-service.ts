import type { ListingDeps } from "./deps";

/**
 * A listing across models leaves out what belongs to a model being deleted: reads of that model
 * already answer 404, and its versions go a chunk at a time, so some would otherwise still show.
 */
export async function ofModelsInService<T extends { readonly model: string }>(deps: ListingDeps, items: readonly T[]): Promise<T[]> {
  if (items.length === 0) return [];
  const inService = await deps.listings.modelsInService(items.map((item) => item.model));
  return items.filter((item) => inService.has(item.model));
}

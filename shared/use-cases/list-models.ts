import type { Page } from "../store/pages";
import type { ModelView } from "../schemas/model";
import type { ListingDeps } from "./deps";
import { modelViewOf } from "./resolve";

/** One page of models in name order, optionally those whose names start with `prefix`; each model's newest READY version is stored on its item. */
export async function listModels(deps: ListingDeps, query: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ModelView>> {
  const page = await deps.listings.listModels(query);
  return { items: await Promise.all(page.items.map((item) => modelViewOf(deps, item))), nextCursor: page.nextCursor };
}

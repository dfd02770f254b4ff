import type { Page } from "../store/pages";
import type { ModelView } from "../schemas/model";
import type { ListingDeps } from "./deps";
import { modelViewOf } from "./resolve";

type ModelsQuery = { prefix?: string; limit: number; cursor?: string };

/** One page of models in name order, optionally those whose names start with `prefix`; each model's newest READY version is stored on its item. */
export function listModels(deps: ListingDeps, query: ModelsQuery): Promise<Page<ModelView>> {
  return listModelsAs(deps, query, (view) => view);
}

/**
 * listModels with each model as `present` makes it of its view (reading more, such as its latest
 * versions): a page holds as many models as fit its bytes as presented, and its cursor
 * goes on from the last one it holds.
 */
export function listModelsAs<T>(deps: ListingDeps, query: ModelsQuery, present: (view: ModelView) => T | Promise<T>): Promise<Page<T>> {
  return deps.listings.listModels(query, (items) => Promise.all(items.map(async (item) => present(await modelViewOf(deps, item)))));
}

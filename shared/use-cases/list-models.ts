import { toModelView } from "../store/entities/model";
import type { Page } from "../store/pages";
import type { ModelView } from "../schemas/model";
import type { RegistryDeps } from "./deps";

/** One page of models in name order, optionally those whose names start with `prefix`. */
export async function listModels(deps: RegistryDeps, query: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ModelView>> {
  const page = await deps.store.listModels(query);
  return { items: page.items.map(toModelView), nextCursor: page.nextCursor };
}

import { toVersionView } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { VersionFilters } from "../store/registry-store";
import type { VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./resolve";

/** One page of a model's versions matching the filters, newest first unless `oldestFirst` (404 ModelNotFound when the model does not exist). */
export async function listVersions(
  deps: RegistryDeps,
  name: string,
  filters: VersionFilters,
  page: { limit: number; cursor?: string; oldestFirst?: boolean },
): Promise<Page<VersionView>> {
  await requireModel(deps, name);
  const result = await deps.store.listVersions(name, filters, page);
  return { items: result.items.map(toVersionView), nextCursor: result.nextCursor };
}

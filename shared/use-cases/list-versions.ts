import { toVersionView } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { VersionFilters } from "../store/registry-store";
import type { VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./resolve";

/**
 * Versions a request reads at most to find its page: a filter matching few versions of a large model
 * answers a short page, maybe empty, with a cursor to go on from, not one request reading them all.
 */
export const VERSIONS_EXAMINED_PER_PAGE = 1_000;

/** One page of a model's versions matching the filters, newest first unless `oldestFirst` (404 ModelNotFound when the model does not exist). */
export async function listVersions(
  deps: RegistryDeps,
  name: string,
  filters: VersionFilters,
  page: { limit: number; cursor?: string; oldestFirst?: boolean },
): Promise<Page<VersionView>> {
  await requireModel(deps, name);
  const result = await deps.store.listVersions(name, filters, { ...page, maxExamined: VERSIONS_EXAMINED_PER_PAGE });
  return { items: result.items.map(toVersionView), nextCursor: result.nextCursor };
}

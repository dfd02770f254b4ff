import { toHistoryView } from "../store/entities/history";
import type { Page } from "../store/pages";
import type { HistoryEntryView } from "../schemas/history";
import type { VersionSelector } from "../schemas/version";
import type { ListingDeps } from "./deps";
import { requireHistory, requireVersion } from "./resolve";

/**
 * History entries a request reads at most to find its page when filtered by version: a version with few entries in a
 * long history answers a short page, maybe empty, with a cursor to go on from, not one request reading all of it.
 */
export const ENTRIES_EXAMINED_PER_PAGE = 1_000;

/**
 * A model's audit trail, newest first.
 * 1. 404 when the name never had a model (a deleted model's history stays, and its name's next model continues it);
 * 2. `version` as a number filters at once (history outlives a deleted version); any other
 *    selector (v1.4.0, a stage, an alias) is first resolved to the version it names now;
 * 3. one exact page from the model's partition; with `version`, reading at most ENTRIES_EXAMINED_PER_PAGE entries.
 */
export async function listHistory(
  deps: ListingDeps,
  name: string,
  query: { version?: VersionSelector; limit: number; cursor?: string },
): Promise<Page<HistoryEntryView>> {
  await requireHistory(deps, name);
  const { version: selector, ...page } = query;
  const version = selector === undefined || "number" in selector ? selector?.number : (await requireVersion(deps, name, selector)).version;
  const result = await deps.listings.history(name, { version }, { ...page, maxExamined: ENTRIES_EXAMINED_PER_PAGE });
  return { items: result.items.map(toHistoryView), nextCursor: result.nextCursor };
}

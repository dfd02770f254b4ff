import { ValidationError } from "../domain/errors";
import type { ModelItem } from "../store/entities/model";
import { toVersionView } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { IndexOrder } from "../store/listings";
import type { VersionFilters } from "../store/registry-store";
import type { VersionView } from "../schemas/version";
import type { ListingDeps } from "./deps";
import { requireModel } from "./resolve";

/**
 * Versions (or index items) a request reads at most to find its page: a filter matching few versions of a large
 * model answers a short page, maybe empty, with a cursor to go on from, not one request reading them all.
 */
export const VERSIONS_EXAMINED_PER_PAGE = 1_000;

/**
 * One page of a model's versions matching the filters (404 ModelNotFound when the model does not exist).
 * 1. `sort` by a key metric, or a bound on a key metric indexed from version 1: the metric's index is
 *    read (best first by its direction when unsorted), the other filters applied to the versions it lists;
 * 2. otherwise newest first (oldest first with `oldestFirst`), the filters evaluated on the model's versions as they are read.
 */
export async function listVersions(
  deps: ListingDeps,
  name: string,
  filters: VersionFilters,
  page: { limit: number; cursor?: string; oldestFirst?: boolean },
): Promise<Page<VersionView>> {
  const model = await requireModel(deps, name);
  const bounded = { ...page, maxExamined: VERSIONS_EXAMINED_PER_PAGE };
  const order = indexedOrder(model, filters);
  const result = order
    ? await deps.listings.listVersionsByMetric(name, order, filters, bounded)
    : await deps.store.listVersions(name, filters, bounded);
  return { items: result.items.map(toVersionView), nextCursor: result.nextCursor };
}

/** The key metric index a listing reads, if any; a sort by a metric the model does not declare is 400. */
function indexedOrder(model: ModelItem, filters: VersionFilters): IndexOrder | undefined {
  const keyMetrics = model.keyMetrics ?? [];
  const { sort } = filters;
  if (sort) {
    const sorted = keyMetrics.find((metric) => metric.name === sort.metric);
    if (sorted) return { ...sort, indexedFrom: sorted.indexedFrom };
    throw undeclaredSort(model, sort.metric);
  }
  const bounded = keyMetrics.find(
    (metric) =>
      metric.indexedFrom === 1 && (Object.hasOwn(filters.minMetrics, metric.name) || Object.hasOwn(filters.maxMetrics, metric.name)),
  );
  return bounded && { metric: bounded.name, descending: bounded.direction === "max", indexedFrom: 1 };
}

function undeclaredSort(model: ModelItem, metric: string): ValidationError {
  const declared = (model.keyMetrics ?? []).map((key) => key.name);
  const allowed = declared.length > 0 ? `it may sort by ${declared.map((key) => `metric.${key}`).join(", ")}` : "it declares none";
  return new ValidationError(
    `Model '${model.name}' cannot sort versions by '${metric}': only key metrics sort, and ${allowed}. ` +
      `Declare it with PATCH /models/${model.name} {"keyMetrics": [{"name": "${metric}", "direction": "max"}]} (or "min").`,
    [{ path: "sort", message: `'${metric}' is not a key metric of '${model.name}'` }],
  );
}

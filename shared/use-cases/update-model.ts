import { ModelNotFoundError } from "../domain/errors";
import { unchanged } from "../store/model-change";
import type { KeyMetric, ModelItem } from "../store/entities/model";
import type { ModelView, UpdateModelInput } from "../schemas/model";
import type { Actor, KeyMetricDeps } from "./deps";
import { describeChanges } from "./describe-changes";
import { modelViewOf } from "./resolve";

/**
 * A model with at most this many versions has a newly declared key metric indexed for all of them in
 * the declaring request; a larger one is indexed from its next version on (see keyMetrics' indexedFrom).
 */
export const VERSIONS_INDEXED_ON_DECLARATION = 200;

/**
 * Changes description, tags (they replace the whole map) and/or key metrics (the list replaces the
 * declared one), recorded as MODEL_UPDATED with before and after; a patch that changes nothing (tags
 * compared by content) writes nothing.
 * 1. a newly declared key metric on a model of few versions: their index items are written first
 *    (idempotent, outside the model's transaction), so the metric is indexed from version 1;
 * 2. the model item and history in one transaction; a concurrent registration makes it re-plan
 *    (and index again), so no version is left out of an index that says it is complete.
 * A patch computed from the model as read (one tag set or removed) is computed again on every re-plan: no concurrent change is lost.
 */
export async function updateModel(
  deps: KeyMetricDeps,
  name: string,
  change: UpdateModelInput | ((current: ModelItem) => UpdateModelInput),
  who: Actor,
): Promise<ModelView> {
  const indexedHere = new Set<string>();
  const model = await deps.store.change(who, name, async (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const patch = typeof change === "function" ? change(current) : change;
    const keyMetrics = patch.keyMetrics ? await declareKeyMetrics(deps, current, patch.keyMetrics, indexedHere) : current.keyMetrics;
    const next: ModelItem = {
      ...current,
      description: patch.description ?? current.description,
      tags: patch.tags ?? current.tags,
      ...(keyMetrics && { keyMetrics }),
    };
    const changes = describeChanges(current, next, ["description", "tags", "keyMetrics"]);
    if (Object.keys(changes).length === 0) return unchanged(current);
    return {
      model: next,
      history: [{ action: "MODEL_UPDATED", changes }],
      result: ({ model }) => model,
    };
  });
  return modelViewOf(deps, model);
}

/**
 * The key metrics as declared: one already declared keeps its index; a new one is indexed from where its backfill reaches.
 * A metric this request indexed in an attempt that did not commit is indexed again even when another request declared it
 * since: a version deleted after that attempt read the versions kept the item the attempt wrote, and only a backfill removes it.
 */
async function declareKeyMetrics(
  deps: KeyMetricDeps,
  current: ModelItem,
  declared: NonNullable<UpdateModelInput["keyMetrics"]>,
  indexedHere: Set<string>,
): Promise<KeyMetric[]> {
  const known = new Map(current.keyMetrics?.map((metric) => [metric.name, metric]));
  const backfills = current.latestVersion <= VERSIONS_INDEXED_ON_DECLARATION;
  const toIndex = declared.filter((metric) => (backfills && !known.has(metric.name)) || indexedHere.has(metric.name));
  if (toIndex.length > 0) await deps.keyMetricBackfill.indexExistingVersions(current.name, toIndex);
  for (const metric of toIndex) indexedHere.add(metric.name);
  const indexedFrom = backfills ? 1 : current.latestVersion + 1;
  return declared.map((metric) => ({ ...metric, indexedFrom: known.get(metric.name)?.indexedFrom ?? indexedFrom }));
}

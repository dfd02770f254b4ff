import type { ComparisonView } from "../schemas/compare";
import type { VersionMetadata } from "../schemas/version";

type Compared = Pick<VersionMetadata, "metrics" | "params" | "features" | "dependencies" | "lineage">;
type Scalar = string | number | boolean;
type MapDiff<T> = { changed: Record<string, { a: T; b: T }>; added: Record<string, T>; removed: Record<string, T> };

const LINEAGE_FIELDS = ["codeCommit", "experimentId", "runId"] as const;

/** Floating-point subtraction leaves noise (0.982 − 0.975 = 0.007000000000000006); 12 significant digits keep the signal. */
const tidy = (n: number): number => Number(n.toPrecision(12));

/**
 * What changed from version a to version b: metric deltas (b − a, and in percent of |a|, null when
 * a is 0), metrics only one side reports, and the params, features, dependencies and lineage that differ.
 */
export function compareMetadata(a: Compared, b: Compared): Omit<ComparisonView, "model" | "a" | "b"> {
  const metrics: ComparisonView["metrics"] = {};
  for (const [name, valueA] of Object.entries(a.metrics)) {
    if (!Object.hasOwn(b.metrics, name)) continue;
    const valueB = b.metrics[name] as number;
    const delta = tidy(valueB - valueA);
    metrics[name] = { a: valueA, b: valueB, delta, deltaPercent: valueA === 0 ? null : tidy(((valueB - valueA) / Math.abs(valueA)) * 100) };
  }
  const metricDiff = diffMap(a.metrics, b.metrics);
  return {
    metrics,
    metricsOnlyIn: { a: metricDiff.removed, b: metricDiff.added },
    params: diffMap<Scalar>(a.params, b.params),
    features: diffList(a.features, b.features),
    dependencies: diffMap(a.dependencies, b.dependencies),
    lineage: {
      datasets: diffDatasets(a.lineage.datasets, b.lineage.datasets),
      parentVersions: diffList(a.lineage.parentVersions, b.lineage.parentVersions),
      changed: Object.fromEntries(LINEAGE_FIELDS.filter((field) => a.lineage[field] !== b.lineage[field]).map((field) => [field, { a: a.lineage[field], b: b.lineage[field] }])),
    },
  };
}

/** Own keys only (`in` would find `constructor` on every map). */
function diffMap<T>(a: Record<string, T>, b: Record<string, T>): MapDiff<T> {
  const diff: MapDiff<T> = { changed: {}, added: {}, removed: {} };
  for (const [key, valueA] of Object.entries(a)) {
    if (!Object.hasOwn(b, key)) diff.removed[key] = valueA;
    else if (b[key] !== valueA) diff.changed[key] = { a: valueA, b: b[key] as T };
  }
  for (const [key, valueB] of Object.entries(b)) if (!Object.hasOwn(a, key)) diff.added[key] = valueB;
  return diff;
}

function diffList<T>(a: readonly T[], b: readonly T[]): { added: T[]; removed: T[] } {
  return { added: b.filter((item) => !a.includes(item)), removed: a.filter((item) => !b.includes(item)) };
}

type Dataset = VersionMetadata["lineage"]["datasets"][number];

/** Datasets matched by id: added, removed, or used in another version / uri / digest. */
function diffDatasets(a: readonly Dataset[], b: readonly Dataset[]): ComparisonView["lineage"]["datasets"] {
  const byId = (list: readonly Dataset[]) => new Map(list.map((d) => [d.id, d]));
  const inA = byId(a);
  const inB = byId(b);
  const changed = [...inA.values()].flatMap((dataset) => {
    const other = inB.get(dataset.id);
    return other && JSON.stringify(dataset) !== JSON.stringify(other) ? [{ id: dataset.id, a: dataset, b: other }] : [];
  });
  return { added: b.filter((d) => !inA.has(d.id)), removed: a.filter((d) => !inB.has(d.id)), changed };
}

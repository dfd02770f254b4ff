type Scalar = string | number | boolean;
type MapDiff<T> = { changed: Record<string, { a: T; b: T }>; added: Record<string, T>; removed: Record<string, T> };
type ListDiff<T> = { added: T[]; removed: T[] };

/** A dataset as a version's lineage names it. */
export interface Dataset {
  readonly id: string;
  readonly version?: string;
  readonly uri?: string;
  readonly sha256?: string;
}

/** The parts of a version's metadata that a comparison reads. */
export interface Compared {
  readonly metrics: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, Scalar>>;
  readonly features: readonly string[];
  readonly dependencies: Readonly<Record<string, string>>;
  readonly lineage: {
    readonly datasets: readonly Dataset[];
    readonly parentVersions: readonly number[];
    readonly codeCommit?: string;
    readonly experimentId?: string;
    readonly runId?: string;
  };
}

/** What changed from version a to version b (the comparison view without the versions' names). */
export interface MetadataComparison {
  metrics: Record<string, { a: number; b: number; delta: number; deltaPercent: number | null }>;
  metricsOnlyIn: { a: Record<string, number>; b: Record<string, number> };
  params: MapDiff<Scalar>;
  features: ListDiff<string>;
  dependencies: MapDiff<string>;
  lineage: {
    datasets: { added: Dataset[]; removed: Dataset[]; changed: { id: string; a: Dataset; b: Dataset }[] };
    parentVersions: ListDiff<number>;
    changed: Record<string, { a: string | undefined; b: string | undefined }>;
  };
}

const LINEAGE_FIELDS = ["codeCommit", "experimentId", "runId"] as const;

/** Floating-point subtraction leaves noise (0.982 − 0.975 = 0.007000000000000006); 12 significant digits keep the signal. */
const tidy = (n: number): number => Number(n.toPrecision(12));

/**
 * What changed from version a to version b: metric deltas (b − a, and in percent of |a|, null when
 * a is 0), metrics only one side reports, and the params, features, dependencies and lineage that differ.
 */
export function compareMetadata(a: Compared, b: Compared): MetadataComparison {
  const metrics: MetadataComparison["metrics"] = {};
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
      changed: Object.fromEntries(
        LINEAGE_FIELDS.filter((field) => a.lineage[field] !== b.lineage[field]).map((field) => [
          field,
          { a: a.lineage[field], b: b.lineage[field] },
        ]),
      ),
    },
  };
}

/** Own keys only (`in` would find `constructor` on every map). */
function diffMap<T>(a: Readonly<Record<string, T>>, b: Readonly<Record<string, T>>): MapDiff<T> {
  const diff: MapDiff<T> = { changed: {}, added: {}, removed: {} };
  for (const [key, valueA] of Object.entries(a)) {
    if (!Object.hasOwn(b, key)) diff.removed[key] = valueA;
    else if (b[key] !== valueA) diff.changed[key] = { a: valueA, b: b[key] as T };
  }
  for (const [key, valueB] of Object.entries(b)) if (!Object.hasOwn(a, key)) diff.added[key] = valueB;
  return diff;
}

function diffList<T>(a: readonly T[], b: readonly T[]): ListDiff<T> {
  return { added: b.filter((item) => !a.includes(item)), removed: a.filter((item) => !b.includes(item)) };
}

/** Datasets matched by id: added, removed, or used in another version / uri / digest. */
function diffDatasets(a: readonly Dataset[], b: readonly Dataset[]): MetadataComparison["lineage"]["datasets"] {
  const byId = (list: readonly Dataset[]) => new Map(list.map((d) => [d.id, d]));
  const inA = byId(a);
  const inB = byId(b);
  const changed = [...inA.values()].flatMap((dataset) => {
    const other = inB.get(dataset.id);
    return other && JSON.stringify(dataset) !== JSON.stringify(other) ? [{ id: dataset.id, a: dataset, b: other }] : [];
  });
  return { added: b.filter((d) => !inA.has(d.id)), removed: a.filter((d) => !inB.has(d.id)), changed };
}

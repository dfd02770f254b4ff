import * as z from "../../zod";
import { orderedMetricKey } from "../../domain/metric-order";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition, padNumber } from "../keys";
import type { KeyMetric } from "./model";

export const METRIC_INDEX_ENTITY = "metricIndex";
const SCHEMA_VERSION = 1;

/**
 * One item per (version, key metric it has), in the model's partition: the sort key orders a metric's
 * versions by value then number, so a range of values is one Query. Metric names hold no `#`.
 */
export interface MetricIndexItem extends ItemBase {
  readonly metric: string;
  readonly value: number;
  readonly version: number;
}

type MetricsOf = { readonly model: string; readonly version: number; readonly metrics: Record<string, number> };

const metricPrefix = (metric: string) => `METRIC#${metric}#`;
const metricIndexKey = (name: string, metric: string, value: number, version: number) => ({
  pk: modelPartition(name),
  sk: `${metricPrefix(metric)}${orderedMetricKey(value)}#${padNumber(version)}`,
});

/** The sort keys bounding a metric's values from `min` to `max` (either open), both included. */
export function metricRange(metric: string, bounds: { min?: number; max?: number }): { low: string; high: string } {
  const prefix = metricPrefix(metric);
  return {
    low: bounds.min === undefined ? prefix : `${prefix}${orderedMetricKey(bounds.min)}#`,
    // `~` sorts after every hex digit and `#`: the range ends after the bound's last version.
    high: bounds.max === undefined ? `${prefix}~` : `${prefix}${orderedMetricKey(bounds.max)}#~`,
  };
}

export const metricIndexFromItem = itemReader(METRIC_INDEX_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({ ...itemBase(METRIC_INDEX_ENTITY, SCHEMA_VERSION), metric: z.string(), value: z.number(), version: z.int() }),
);

/**
 * Whether an index item lists the version under the metric's current declaration, indexed from version `indexedFrom` on:
 * it says what the version holds (a backfill may have raced a deletion), and an item of a version below `indexedFrom` is
 * an earlier declaration's, which the current one did not index again (the metric was removed from keyMetrics and declared anew).
 */
export const indexesVersion = (entry: MetricIndexItem, version: MetricsOf, indexedFrom: number): boolean =>
  version.version === entry.version && entry.version >= indexedFrom && version.metrics[entry.metric] === entry.value;

const indexedMetrics = (version: MetricsOf, keyMetrics: readonly Pick<KeyMetric, "name">[]) =>
  keyMetrics.filter(({ name }) => Object.hasOwn(version.metrics, name)).map(({ name }) => [name, version.metrics[name] as number] as const);

/** The index items of a version, one for each key metric it has. */
export const metricIndexItems = (version: MetricsOf, keyMetrics: readonly Pick<KeyMetric, "name">[]): MetricIndexItem[] =>
  indexedMetrics(version, keyMetrics).map(([metric, value]) => ({
    ...metricIndexKey(version.model, metric, value, version.version),
    entity: METRIC_INDEX_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    metric,
    value,
    version: version.version,
  }));

/** The same items as writes of the version's registration. */
export const indexMetrics = (version: MetricsOf, keyMetrics: readonly Pick<KeyMetric, "name">[]): Write[] =>
  metricIndexItems(version, keyMetrics).map((Item) => ({ Put: { Item } }));

/** The same items, deleted with the version. */
export const unindexMetrics = (version: MetricsOf, keyMetrics: readonly Pick<KeyMetric, "name">[]): Write[] =>
  indexedMetrics(version, keyMetrics).map(([metric, value]) => ({
    Delete: { Key: metricIndexKey(version.model, metric, value, version.version) },
  }));

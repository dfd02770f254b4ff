import type { LocalRegistry } from "../infra/local/start";
import { median, timed } from "./stats";
import { send } from "./upload";

/** Medians of the first page of `?minMetric.auc=0.99&limit=10` on the large and the small model, ms. */
export interface MetricFilterComparison {
  readonly largeMedianMs: number;
  readonly smallMedianMs: number;
  readonly ratio: number;
}

export interface MetricFilterFigure {
  readonly largeVersions: number;
  readonly smallVersions: number;
  /** Versions scoring auc ≥ 0.99 in each model: both first pages hold as many. */
  readonly matches: number;
  readonly samples: number;
  /** auc an ordinary metric: DynamoDB's filter over the model's versions, at most 1,000 read a request. */
  readonly undeclared: MetricFilterComparison;
  /** auc a key metric declared before the first registration: its index read, only the matching versions fetched. */
  readonly keyMetric: MetricFilterComparison;
}

/**
 * `matches` of a model's `versions` score auc ≥ 0.99, spread evenly (the last one among them);
 * every other version scores below 0.99: a filter that must read far for its page on a large model.
 */
export function aucOf(version: number, versions: number, matches: number): number {
  return version % Math.floor(versions / matches) === 0 ? 0.995 : 0.9 + (version % 89) / 1000;
}

async function registerModel(registry: LocalRegistry, name: string, versions: number, matches: number, keyMetric: boolean): Promise<void> {
  if (keyMetric) {
    await send(`${registry.url}/models`, "POST", { name });
    await send(`${registry.url}/models/${name}`, "PATCH", { keyMetrics: [{ name: "auc", direction: "max" }] });
  }
  for (let version = 1; version <= versions; version++)
    await send(`${registry.url}/models/${name}/versions`, "POST", {
      source: "s3://bench/model.tar.gz",
      metrics: { auc: aucOf(version, versions, matches) },
    });
}

async function compareFirstPages(registry: LocalRegistry, large: string, small: string, samples: number): Promise<MetricFilterComparison> {
  const firstPage = (name: string) => () => send(`${registry.url}/models/${name}/versions?minMetric.auc=0.99&limit=10`, "GET");
  const largeTimes: number[] = [];
  const smallTimes: number[] = [];
  for (let i = 0; i < samples; i++) {
    largeTimes.push(await timed(firstPage(large)));
    smallTimes.push(await timed(firstPage(small)));
  }
  const largeMedianMs = median(largeTimes);
  const smallMedianMs = median(smallTimes);
  return { largeMedianMs, smallMedianMs, ratio: largeMedianMs / smallMedianMs };
}

/**
 * Listing versions by a metric filter (docs/operations.md, Benchmark): the first page of
 * `minMetric.auc=0.99&limit=10` on a model of `largeVersions` versions against one of `smallVersions`,
 * `matches` versions matching in each, interleaved, with auc an ordinary metric and with auc a
 * declared key metric. Target: the large model's median at most 1.5 times the small one's.
 */
export async function benchMetricFilter(
  registry: LocalRegistry,
  largeVersions = 1_530,
  smallVersions = 30,
  matches = 5,
  samples = 60,
): Promise<MetricFilterFigure> {
  const comparisons: MetricFilterComparison[] = [];
  for (const keyMetric of [false, true]) {
    const [large, small] = ["large", "small"].map((size) => `bench_filter_${size}${keyMetric ? "_keyed" : ""}`) as [string, string];
    await registerModel(registry, large, largeVersions, matches, keyMetric);
    await registerModel(registry, small, smallVersions, matches, keyMetric);
    comparisons.push(await compareFirstPages(registry, large, small, samples));
  }
  const [undeclared, keyMetric] = comparisons as [MetricFilterComparison, MetricFilterComparison];
  return { largeVersions, smallVersions, matches, samples, undeclared, keyMetric };
}

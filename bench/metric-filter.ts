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
  readonly samples: number;
  /** auc an ordinary metric: DynamoDB's filter over the model's versions, at most 1,000 read a request. */
  readonly undeclared: MetricFilterComparison;
  /** auc a key metric declared before the first registration: its index read, only the matching versions fetched. */
  readonly keyMetric: MetricFilterComparison;
  /**
   * The same, against a small model where one version in three matches: both first pages then hold
   * ten versions (the small model's page above holds none, so it fetches no version at all).
   */
  readonly keyMetricFullPages: MetricFilterComparison;
}

/** One version in a hundred scores auc ≥ 0.99, spread evenly: a filter that must read far for its page. */
const aucOf = (version: number) => (version % 100 === 0 ? 0.995 : 0.9 + (version % 89) / 1000);
/** One version in three scores auc ≥ 0.99: a small model whose first page is as full as the large one's. */
const denseAucOf = (version: number) => (version % 3 === 0 ? 0.995 : aucOf(version));

async function registerModel(
  registry: LocalRegistry,
  name: string,
  versions: number,
  keyMetric: boolean,
  auc: (version: number) => number = aucOf,
): Promise<void> {
  if (keyMetric) {
    await send(`${registry.url}/models`, "POST", { name });
    await send(`${registry.url}/models/${name}`, "PATCH", { keyMetrics: [{ name: "auc", direction: "max" }] });
  }
  for (let version = 1; version <= versions; version++)
    await send(`${registry.url}/models/${name}/versions`, "POST", { source: "s3://bench/model.tar.gz", metrics: { auc: auc(version) } });
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
 * interleaved, with auc an ordinary metric and with auc a declared key metric.
 * Target: the large model's median at most 1.5 times the small one's.
 */
export async function benchMetricFilter(
  registry: LocalRegistry,
  largeVersions = 1_530,
  smallVersions = 30,
  samples = 60,
): Promise<MetricFilterFigure> {
  const comparisons: MetricFilterComparison[] = [];
  for (const keyMetric of [false, true]) {
    const [large, small] = ["large", "small"].map((size) => `bench_filter_${size}${keyMetric ? "_keyed" : ""}`) as [string, string];
    await registerModel(registry, large, largeVersions, keyMetric);
    await registerModel(registry, small, smallVersions, keyMetric);
    comparisons.push(await compareFirstPages(registry, large, small, samples));
  }
  const [undeclared, keyMetric] = comparisons as [MetricFilterComparison, MetricFilterComparison];
  await registerModel(registry, "bench_filter_small_keyed_dense", smallVersions, true, denseAucOf);
  const keyMetricFullPages = await compareFirstPages(registry, "bench_filter_large_keyed", "bench_filter_small_keyed_dense", samples);
  return { largeVersions, smallVersions, samples, undeclared, keyMetric, keyMetricFullPages };
}

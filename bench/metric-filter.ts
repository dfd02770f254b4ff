import type { LocalRegistry } from "../infra/local/start";
import { median, timed } from "./stats";
import { send } from "./upload";

export interface MetricFilterFigure {
  readonly largeVersions: number;
  readonly smallVersions: number;
  /** Medians of the first page of `?minMetric.auc=0.99&limit=10`, ms. */
  readonly largeMedianMs: number;
  readonly smallMedianMs: number;
  readonly ratio: number;
  readonly samples: number;
}

/** One version in a hundred scores auc ≥ 0.99, spread evenly: a filter that must read far for its page. */
const aucOf = (version: number) => (version % 100 === 0 ? 0.995 : 0.9 + (version % 89) / 1000);

/**
 * Listing versions by a metric filter (docs/operations.md, Benchmark): the first page of
 * `minMetric.auc=0.99&limit=10` on a model of `largeVersions` versions against one of `smallVersions`,
 * interleaved. Target: the large model's median at most 1.5 times the small one's.
 */
export async function benchMetricFilter(
  registry: LocalRegistry,
  largeVersions = 1_530,
  smallVersions = 30,
  samples = 60,
): Promise<MetricFilterFigure> {
  const models = { bench_filter_large: largeVersions, bench_filter_small: smallVersions };
  for (const [name, count] of Object.entries(models))
    for (let version = 1; version <= count; version++)
      await send(`${registry.url}/models/${name}/versions`, "POST", {
        source: "s3://bench/model.tar.gz",
        metrics: { auc: aucOf(version) },
      });
  const firstPage = (name: string) => () => send(`${registry.url}/models/${name}/versions?minMetric.auc=0.99&limit=10`, "GET");
  const large: number[] = [];
  const small: number[] = [];
  for (let i = 0; i < samples; i++) {
    large.push(await timed(firstPage("bench_filter_large")));
    small.push(await timed(firstPage("bench_filter_small")));
  }
  const largeMedianMs = median(large);
  const smallMedianMs = median(small);
  return { largeVersions, smallVersions, largeMedianMs, smallMedianMs, ratio: largeMedianMs / smallMedianMs, samples };
}

import type { LocalRegistry } from "../infra/local/start";
import { median, timed } from "./stats";
import { send } from "./upload";

/**
 * Reads against a model's size (docs/operations.md, Benchmark): each read on a model of 1,530
 * versions and 60 Production moves against the same read on one of 30 versions and 2 moves,
 * interleaved, medians (target ratio ≤ 1.5: the large model's history must not be read through).
 * `history/at` asks for an instant halfway through each model's Production moves, so that it
 * starts from a checkpoint and replays the entries after it, as an auditor's question does.
 */

export interface ReadBySize {
  readonly read: string;
  readonly largeMedianMs: number;
  readonly smallMedianMs: number;
  readonly ratio: number;
}

export interface ReadsBySize {
  readonly large: { readonly versions: number; readonly productionMoves: number };
  readonly small: { readonly versions: number; readonly productionMoves: number };
  readonly samples: number;
  readonly reads: readonly ReadBySize[];
}

interface SizedModel {
  readonly name: string;
  readonly versions: number;
  readonly productionMoves: number;
  /** An instant halfway through its Production moves. */
  readonly midway: string;
}

/** Letters only: a model name must not look versioned. */
const modelName = (size: string) => `bench_reads_${size}`;

/** `versions` registrations, then `productionMoves` of the newest ones through Staging into Production, each replacing the last. */
async function sizedModel(registry: LocalRegistry, size: string, versions: number, productionMoves: number): Promise<SizedModel> {
  const name = modelName(size);
  const models = `${registry.url}/models/${name}`;
  for (let version = 1; version <= versions; version++) await send(`${models}/versions`, "POST", { source: "s3://bench/model.tar.gz" });
  let midway = "";
  for (let move = 0; move < productionMoves; move++) {
    const version = versions - productionMoves + move + 1;
    await send(`${models}/versions/${version}/transitions`, "POST", { to: "Staging", reason: "bench" });
    await send(`${models}/versions/${version}/transitions`, "POST", { to: "Production", reason: "bench" });
    if (move === Math.floor(productionMoves / 2)) midway = new Date().toISOString();
  }
  return { name, versions, productionMoves, midway };
}

/** The reads compared: each a path on the model's routes. */
const READS: readonly { readonly read: string; readonly path: (model: SizedModel) => string }[] = [
  { read: "newest 20 versions", path: ({ name }) => `/models/${name}/versions?limit=20` },
  { read: "history page (20)", path: ({ name }) => `/models/${name}/history?limit=20` },
  { read: "resolve Production", path: ({ name }) => `/models/${name}/stages/Production` },
  { read: "history/at midway", path: ({ name, midway }) => `/models/${name}/history/at?time=${encodeURIComponent(midway)}` },
];

export async function benchReadsBySize(registry: LocalRegistry, samples = 31): Promise<ReadsBySize> {
  const large = await sizedModel(registry, "large", 1_530, 60);
  const small = await sizedModel(registry, "small", 30, 2);
  const reads: ReadBySize[] = [];
  for (const { read, path } of READS) {
    const largeTimes: number[] = [];
    const smallTimes: number[] = [];
    for (let i = 0; i < samples; i++) {
      largeTimes.push(await timed(() => send(`${registry.url}${path(large)}`, "GET")));
      smallTimes.push(await timed(() => send(`${registry.url}${path(small)}`, "GET")));
    }
    const [largeMedianMs, smallMedianMs] = [median(largeTimes), median(smallTimes)];
    reads.push({ read, largeMedianMs, smallMedianMs, ratio: largeMedianMs / smallMedianMs });
  }
  const sized = ({ versions, productionMoves }: SizedModel) => ({ versions, productionMoves });
  return { large: sized(large), small: sized(small), samples, reads };
}

export function printReadsBySize({ large, small, samples, reads }: ReadsBySize): void {
  console.log(
    `Reads against a model's size, ${large.versions} versions and ${large.productionMoves} Production moves vs ${small.versions} and ${small.productionMoves} (medians of ${samples}, interleaved):`,
  );
  for (const { read, largeMedianMs, smallMedianMs, ratio } of reads)
    console.log(
      `  ${read.padEnd(20)} large ${largeMedianMs.toFixed(1)} ms, small ${smallMedianMs.toFixed(1)} ms, ratio ${ratio.toFixed(2)} (≤ 1.5: ${ratio <= 1.5 ? "ok" : "MISSED"})`,
    );
}

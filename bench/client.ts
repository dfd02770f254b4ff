import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { LOCAL_BUCKET_NAME, type LocalRegistry } from "../infra/local/start";
import { createRegistryClient } from "../client/sdk";
import { push } from "../client/upload";
import { forEachRange, pull } from "../client/download";
import { median, timed } from "./stats";

/**
 * The `registry` CLI against the thing it is compared with (docs/operations.md, Benchmark), in one run:
 * - push: `registry push`'s SDK call, of one file end to end (hash, register, part PUTs, complete,
 *   READY) vs the same bytes as raw parallel PUTs, same part size and concurrency, to the same
 *   s3rver; also the time before completion, since completing is the registry's work (S3
 *   assembles the parts, the artifacts function reads the object back and hashes it);
 * - pull: `registry pull`'s SDK call (ranged GETs into a temporary file, SHA-256 verified,
 *   renamed) vs raw parallel ranged GETs of the same object written to a file at their offsets;
 * - start-up: `node dist/registry.mjs --version` (the bundle of `npm run build:cli`) in fresh
 *   processes, next to `node -e ""` on the same machine.
 * Push and raw rounds alternate so both see the same load; each push round changes the file's
 * first bytes (identical bytes would need no upload).
 */

const MiB = 1024 * 1024;
const PART_BYTES = 8 * MiB;
const repoRoot = resolve(import.meta.dirname, "..");
const run = promisify(execFile);

export interface TransferFigure {
  readonly clientMiBps: number;
  readonly rawMiBps: number;
  readonly ratio: number;
}

export interface PushFigure extends TransferFigure {
  /** Median seconds of each step: hashing and registering, uploading, completing. */
  readonly steps: { readonly prepareS: number; readonly uploadS: number; readonly completeS: number };
}

export interface ClientFigures {
  readonly bytes: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly push: PushFigure;
  readonly pull: TransferFigure;
  readonly startup: { readonly medianMs: number; readonly nodeMedianMs: number; readonly runs: number };
}

async function rawPut(registry: LocalRegistry, file: string, size: number, concurrency: number, round: number): Promise<void> {
  const handle = await open(file, "r");
  try {
    await forEachRange(size, PART_BYTES, concurrency, async (start, end) => {
      const bytes = Buffer.allocUnsafe(end - start);
      await handle.read(bytes, 0, bytes.length, start);
      // With its checksum, as the push's parts carry theirs: the S3 engine checks the same on both sides.
      const response = await fetch(`${registry.engines.s3}/${LOCAL_BUCKET_NAME}/bench/raw-push-${round}-${start}`, {
        method: "PUT",
        headers: { "x-amz-checksum-sha256": createHash("sha256").update(bytes).digest("base64") },
        body: bytes,
      });
      if (!response.ok) throw new Error(`raw PUT → ${response.status}`);
      await response.arrayBuffer();
    });
  } finally {
    await handle.close();
  }
}

async function rawRangedGet(url: string, target: string, size: number, concurrency: number): Promise<void> {
  const handle = await open(target, "w");
  try {
    await forEachRange(size, PART_BYTES, concurrency, async (start, end) => {
      const response = await fetch(url, { headers: { range: `bytes=${start}-${end - 1}` } });
      if (response.status !== 206) throw new Error(`raw ranged GET → ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      await handle.write(bytes, 0, bytes.length, start);
    });
  } finally {
    await handle.close();
  }
}

async function startupMs(command: string[]): Promise<number> {
  return timed(() => run(process.execPath, command, { cwd: repoRoot }));
}

const figure = (bytes: number, clientMs: number[], rawMs: number[]): TransferFigure => {
  const clientMiBps = bytes / MiB / (median(clientMs) / 1000);
  const rawMiBps = bytes / MiB / (median(rawMs) / 1000);
  return { clientMiBps, rawMiBps, ratio: clientMiBps / rawMiBps };
};

export async function benchClient(
  registry: LocalRegistry,
  options: { mib?: number; concurrency?: number; rounds?: number; startupRuns?: number } = {},
): Promise<ClientFigures> {
  const { mib = 512, concurrency = 8, rounds = 3, startupRuns = 9 } = options;
  const bytes = mib * MiB;
  const dir = await mkdtemp(join(tmpdir(), "registry-bench-client-"));
  const client = createRegistryClient({ url: registry.url, auth: { type: "none" } });
  const model = "bench_pusher";
  try {
    // The handlers' module load is a cold start, not push or pull time.
    await client.registerVersion({ name: model, body: { source: "s3://bench/warm-up" } });
    const file = join(dir, "model.bin");
    await writeFile(file, randomBytes(bytes));
    const pushes: number[] = [];
    const steps: { prepare: number[]; upload: number[]; complete: number[] } = { prepare: [], upload: [], complete: [] };
    const rawPuts: number[] = [];
    let version = 0;
    for (let round = 0; round < rounds; round++) {
      const handle = await open(file, "r+");
      await handle.write(randomBytes(32), 0, 32, 0);
      await handle.close();
      const reached = new Map<string, number>();
      const started = performance.now();
      const pushed = await push(client, {
        file,
        model,
        partSizeBytes: PART_BYTES,
        concurrency,
        journalDirectory: join(dir, "journals"),
        onProgress: ({ phase }) => void (reached.has(phase) || reached.set(phase, performance.now())),
      });
      const finished = performance.now();
      if (pushed.version.status !== "READY") throw new Error(`the benchmark's push ended ${pushed.version.status}`);
      version = pushed.version.version;
      pushes.push(finished - started);
      steps.prepare.push((reached.get("uploading") as number) - started);
      steps.upload.push((reached.get("completing") as number) - (reached.get("uploading") as number));
      steps.complete.push(finished - (reached.get("completing") as number));
      rawPuts.push(await timed(() => rawPut(registry, file, bytes, concurrency, round)));
    }

    const pulls: number[] = [];
    const rawGets: number[] = [];
    const download = await client.downloadArtifact({ name: model, v: String(version) });
    if (!("url" in download)) throw new Error(`${model} version ${version} holds several files, not one artifact`);
    for (let round = 0; round < rounds; round++) {
      const output = join(dir, `pulled-${round}.bin`);
      pulls.push(await timed(() => pull(client, { uri: `models:/${model}/${version}`, output, concurrency })));
      rawGets.push(await timed(() => rawRangedGet(download.url, join(dir, `raw-${round}.bin`), bytes, concurrency)));
      await rm(output);
      await rm(join(dir, `raw-${round}.bin`));
    }

    const bundle = join(dir, "registry.mjs");
    await run(join(repoRoot, "node_modules/.bin/tsx"), ["client/build.ts", bundle], { cwd: repoRoot });
    const cliStarts: number[] = [];
    const nodeStarts: number[] = [];
    for (let i = 0; i < startupRuns; i++) {
      cliStarts.push(await startupMs([bundle, "--version"]));
      nodeStarts.push(await startupMs(["-e", ""]));
    }

    return {
      bytes,
      concurrency,
      rounds,
      push: {
        ...figure(bytes, pushes, rawPuts),
        steps: { prepareS: median(steps.prepare) / 1000, uploadS: median(steps.upload) / 1000, completeS: median(steps.complete) / 1000 },
      },
      pull: figure(bytes, pulls, rawGets),
      startup: { medianMs: median(cliStarts), nodeMedianMs: median(nodeStarts), runs: startupRuns },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

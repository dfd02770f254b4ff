import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate } from "node:timers/promises";
import type { LocalRegistry } from "../infra/local/start";
import { addedUp, type CpuSpent, cpuMeter } from "./stats";
import { inParallel, put, send } from "./upload";

export interface VerifyFigure {
  /** The verifier's throughput over the object (s3rver, ranged GETs, resumable SHA-256), MiB/s. */
  readonly verifierMiBps: number;
  /** Node's own single-stream SHA-256 of the same bytes read from a local file, MiB/s. */
  readonly nodeMiBps: number;
  readonly ratio: number;
  /** CPU seconds this process spent per GiB (user + system): the verifier's (with s3rver and the S3 front serving it, in this process) and Node's. Steadier than throughput on a busy machine. */
  readonly verifierCpuSPerGiB: number;
  readonly nodeCpuSPerGiB: number;
  /** The verification's CPU, by thread: whether it kept both cores busy. */
  readonly verifierCpu: CpuSpent;
  /** How long `…/artifact/complete` took to answer (202 VERIFYING): S3 assembling the parts, not hashing. */
  readonly completeAnswerMs: number;
  readonly bytes: number;
}

export interface ParallelFilesFigure {
  readonly files: number;
  readonly fileBytes: number;
  /** One version of the files: from `complete`'s answer until the local queue is idle, their tasks side by side. */
  readonly parallelMs: number;
  /** The same sizes as one-file versions, each completed once the one before is READY: their verification times added up. */
  readonly sequentialMs: number;
  /** parallelMs / sequentialMs. */
  readonly ratio: number;
  /** The CPU each side spent: cores kept busy tell whether side by side had any idle core to gain from. */
  readonly parallelCpu: CpuSpent;
  readonly sequentialCpu: CpuSpent;
  /** The machine's cores (os.availableParallelism()). */
  readonly coresAvailable: number;
  /**
   * The lowest ratio this machine allows: side by side spreads the sequential work's CPU over every
   * core at best, so it takes at least (cores the sequential run kept busy ÷ cores available) of its time.
   */
  readonly bestRatio: number;
}

const MiB = 1024 * 1024;
const PART_BYTES = 64 * MiB;

/**
 * Artifact verification (docs/operations.md, Benchmark): one file of `gib` GiB, written to a temporary
 * file, then
 * - Node's single-stream SHA-256 of the file (createReadStream into createHash): the baseline;
 * - registered and uploaded in 64 MiB parts through the local registry's presigned URLs; completing
 *   is timed to its answer, then the verification to the moment the local queue is idle (the
 *   verifier's default settings: 8 MiB ranged GETs, 8 in flight, one task).
 */
export async function benchVerify(registry: LocalRegistry, options: { gib?: number } = {}): Promise<VerifyFigure> {
  const bytes = (options.gib ?? 2) * 1024 * MiB;
  const dir = await mkdtemp(join(tmpdir(), "registry-bench-verify-"));
  try {
    const file = join(dir, "model.bin");
    await writeGenerated(file, bytes);
    const nodeCpu = cpuMeter();
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk);
    const whole = hash.digest("hex");
    const node = nodeCpu();
    const partDigests = await digestsOfParts(file, bytes);
    const registered = await send<{
      version: number;
      upload: { parts: { partNumber: number; url: string; headers: Record<string, string> }[] };
    }>(`${registry.url}/models/bench_verifier/versions`, "POST", {
      artifact: { filename: "model.bin", sizeBytes: bytes, sha256: whole, partSizeBytes: PART_BYTES, parts: partDigests },
    });
    const handle = await open(file, "r");
    const etags = await inParallel(
      registered.upload.parts.map((part) => async () => {
        const start = (part.partNumber - 1) * PART_BYTES;
        const body = Buffer.alloc(Math.min(PART_BYTES, bytes - start));
        await handle.read(body, 0, body.length, start);
        return put(part.url, body, part.headers);
      }),
      4,
    ).finally(() => handle.close());

    const path = `${registry.url}/models/bench_verifier/versions/${registered.version}`;
    const started = performance.now();
    const completed = await send<{ status: string }>(`${path}/artifact/complete`, "POST", {
      parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
    });
    const completeAnswerMs = performance.now() - started;
    if (completed.status !== "VERIFYING") throw new Error(`completing answered ${completed.status}, not VERIFYING`);
    const verifyCpu = cpuMeter();
    await registry.verifications.idle();
    const verifier = verifyCpu();
    const settled = await send<{ status: string }>(path, "GET");
    if (settled.status !== "READY") throw new Error(`the verification ended ${settled.status}`);

    const mibps = (seconds: number) => bytes / MiB / seconds;
    const perGiB = (seconds: number) => seconds / (bytes / (1024 * MiB));
    return {
      verifierMiBps: mibps(verifier.wallS),
      nodeMiBps: mibps(node.wallS),
      ratio: node.wallS / verifier.wallS,
      verifierCpuSPerGiB: perGiB(verifier.processS),
      nodeCpuSPerGiB: perGiB(node.processS),
      verifierCpu: verifier,
      completeAnswerMs,
      bytes,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `bytes` deterministic bytes (each 1 MiB block its own pattern), written block by block. */
async function writeGenerated(file: string, bytes: number): Promise<void> {
  const handle = await open(file, "w");
  try {
    const block = Buffer.alloc(MiB);
    for (let offset = 0, index = 0; offset < bytes; offset += MiB, index++) {
      fillBlock(block, index);
      await handle.write(block, 0, Math.min(MiB, bytes - offset));
    }
  } finally {
    await handle.close();
  }
}

/** The 1 MiB block number `index` of the generated bytes. */
function fillBlock(block: Buffer, index: number): void {
  for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((Math.imul(index, 2_654_435_761) + i) >>> 0, i);
}

/** `length` bytes from `start` (a multiple of 1 MiB) of generated file number `seed`: no two files share a block. */
function generated(seed: number, start: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  const block = Buffer.alloc(MiB);
  for (let offset = 0; offset < length; offset += MiB) {
    fillBlock(block, seed * BLOCKS_PER_FILE + (start + offset) / MiB);
    block.copy(bytes, offset, 0, Math.min(MiB, length - offset));
  }
  return bytes;
}

const BLOCKS_PER_FILE = 1 << 16;

/** Each part's SHA-256, as the upload declares them. */
async function digestsOfParts(file: string, bytes: number): Promise<{ partNumber: number; sha256: string }[]> {
  const digests: { partNumber: number; sha256: string }[] = [];
  for (let start = 0, partNumber = 1; start < bytes; start += PART_BYTES, partNumber++) {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file, { start, end: Math.min(start + PART_BYTES, bytes) - 1, highWaterMark: MiB }))
      hash.update(chunk);
    digests.push({ partNumber, sha256: hash.digest("hex") });
  }
  return digests;
}

/** A generated file as a manifest declares it: sizes and digests, its bytes made again when uploaded. */
interface GeneratedFile {
  readonly path: string;
  readonly seed: number;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly parts: { partNumber: number; sha256: string }[];
}

/**
 * Yields to the event loop between parts: the registry serves from this process, and a loop held
 * past its idle timeout leaves a client a socket the server has just closed (ECONNRESET).
 */
async function generatedFile(path: string, seed: number, sizeBytes: number): Promise<GeneratedFile> {
  const whole = createHash("sha256");
  const parts: { partNumber: number; sha256: string }[] = [];
  for (let start = 0; start < sizeBytes; start += PART_BYTES) {
    await setImmediate();
    const part = generated(seed, start, Math.min(PART_BYTES, sizeBytes - start));
    whole.update(part);
    parts.push({ partNumber: parts.length + 1, sha256: createHash("sha256").update(part).digest("hex") });
  }
  return { path, seed, sizeBytes, sha256: whole.digest("hex"), parts };
}

interface UploadedVersion {
  /** The version's URL. */
  readonly url: string;
  readonly completion: { files: { path: string; parts: { partNumber: number; etag: string }[] }[] };
}

type PartUrl = { partNumber: number; url: string; headers: Record<string, string> };

/** Registers a version of `files` under `model` and uploads them in 64 MiB parts, one file at a time, 4 parts in flight. */
async function uploadVersion(registry: LocalRegistry, model: string, files: readonly GeneratedFile[]): Promise<UploadedVersion> {
  const registered = await send<{ version: number; uploads: { path: string; upload: { parts: PartUrl[] } | null }[] }>(
    `${registry.url}/models/${model}/versions`,
    "POST",
    { files: files.map(({ path, sizeBytes, sha256, parts }) => ({ path, sizeBytes, sha256, partSizeBytes: PART_BYTES, parts })) },
  );
  const completion: UploadedVersion["completion"] = { files: [] };
  for (const file of files) {
    const upload = registered.uploads.find((entry) => entry.path === file.path)?.upload;
    if (!upload) throw new Error(`the registry asked for no upload of ${file.path}`);
    const etags = await inParallel(
      upload.parts.map((part) => () => {
        const start = (part.partNumber - 1) * PART_BYTES;
        return put(part.url, generated(file.seed, start, Math.min(PART_BYTES, file.sizeBytes - start)), part.headers);
      }),
      4,
    );
    completion.files.push({
      path: file.path,
      parts: upload.parts.map((part, i) => ({ partNumber: part.partNumber, etag: etags[i] as string })),
    });
  }
  return { url: `${registry.url}/models/${model}/versions/${registered.version}`, completion };
}

/** Completes the version and measures its verification, from `complete`'s answer until the local queue is idle; it must end READY. */
async function verification(registry: LocalRegistry, version: UploadedVersion): Promise<CpuSpent> {
  const completed = await send<{ status: string }>(`${version.url}/artifact/complete`, "POST", version.completion);
  if (completed.status !== "VERIFYING") throw new Error(`completing answered ${completed.status}, not VERIFYING`);
  const cpu = cpuMeter();
  await registry.verifications.idle();
  const spent = cpu();
  const settled = await send<{ status: string }>(version.url, "GET");
  if (settled.status !== "READY") throw new Error(`the verification ended ${settled.status}`);
  return spent;
}

/**
 * Verification across files (docs/operations.md, Benchmark): `files` generated files of `mib` MiB,
 * uploaded in 64 MiB parts,
 * - as one version, whose files' tasks the local queue runs side by side (as SQS hands them to
 *   Lambdas in AWS);
 * - as one-file versions, each completed once the one before is READY: the same work one after another.
 * Each side has bytes of its own, the same sizes: bytes the registry holds verified are reused, not verified again.
 */
export async function benchParallelFiles(
  registry: LocalRegistry,
  options: { files?: number; mib?: number } = {},
): Promise<ParallelFilesFigure> {
  const { files = 8, mib = 256 } = options;
  const fileBytes = mib * MiB;
  const shards = async (firstSeed: number) => {
    const generatedFiles: GeneratedFile[] = [];
    for (let i = 0; i < files; i++) generatedFiles.push(await generatedFile(`shard-${i + 1}.bin`, firstSeed + i, fileBytes));
    return generatedFiles;
  };
  const parallelCpu = await verification(registry, await uploadVersion(registry, "bench_files_together", await shards(1)));
  const inTurn: CpuSpent[] = [];
  for (const file of await shards(1 + files))
    inTurn.push(await verification(registry, await uploadVersion(registry, "bench_files_in_turn", [file])));
  const sequentialCpu = addedUp(inTurn);
  const parallelMs = parallelCpu.wallS * 1000;
  const sequentialMs = sequentialCpu.wallS * 1000;
  const coresAvailable = availableParallelism();
  const bestRatio = Math.min(1, sequentialCpu.cores / coresAvailable);
  return {
    files,
    fileBytes,
    parallelMs,
    sequentialMs,
    ratio: parallelMs / sequentialMs,
    parallelCpu,
    sequentialCpu,
    coresAvailable,
    bestRatio,
  };
}

export function printVerify(verify: VerifyFigure): void {
  console.log(
    `Artifact verification, one ${(verify.bytes / 1024 ** 3).toFixed(0)} GiB multipart object (s3rver, the verifier's defaults):`,
  );
  console.log(
    `  verifier ${verify.verifierMiBps.toFixed(0)} MiB/s vs Node's single-stream SHA-256 of the local file ${verify.nodeMiBps.toFixed(0)} MiB/s, ratio ${verify.ratio.toFixed(2)} (≥ 0.7: ${verdict(verify.ratio >= 0.7)})`,
  );
  console.log(
    `  complete answered 202 in ${verify.completeAnswerMs.toFixed(0)} ms (≤ 1000 for any size: ${verdict(verify.completeAnswerMs <= 1000)})`,
  );
  console.log(
    `  CPU per GiB: verifier (with s3rver and the S3 front in this process) ${verify.verifierCpuSPerGiB.toFixed(2)} s, Node's SHA-256 of the file ${verify.nodeCpuSPerGiB.toFixed(2)} s`,
  );
  console.log(`  verifying kept ${cpuLine(verify.verifierCpu)}`);
}

export function printParallelFiles(files: ParallelFilesFigure): void {
  console.log(
    `Verification across files, ${files.files} files × ${(files.fileBytes / MiB).toFixed(0)} MiB in 64 MiB parts (the local queue, the verifier's defaults):`,
  );
  console.log(
    `  one version, its tasks side by side ${(files.parallelMs / 1000).toFixed(1)} s vs one-file versions one after another ${(files.sequentialMs / 1000).toFixed(1)} s, ratio ${files.ratio.toFixed(2)} (≤ 0.5: ${verdict(files.ratio <= 0.5)}; best this machine allows ${files.bestRatio.toFixed(2)} = ${files.sequentialCpu.cores.toFixed(2)} cores busy one after another ÷ ${files.coresAvailable} cores, so ≤ 0.5 is ${files.bestRatio <= 0.5 ? "reachable" : "out of reach"} here)`,
  );
  console.log(`  side by side kept ${cpuLine(files.parallelCpu)}`);
  console.log(`  one after another kept ${cpuLine(files.sequentialCpu)}`);
}

/** How busy the work kept the machine's cores (this process and those it started), and which of its threads spent the CPU. */
function cpuLine(cpu: CpuSpent): string {
  const [main, ...others] = cpu.threads;
  const busiest = others.slice(0, 2).map((thread) => thread.cpuS.toFixed(1));
  const rest = others.slice(2).reduce((sum, thread) => sum + thread.cpuS, 0);
  const threads = main
    ? `; main thread ${main.cpuS.toFixed(1)} s, busiest others ${busiest.join(" s, ")} s, the ${others.length - busiest.length} more ${rest.toFixed(1)} s`
    : "";
  return `${cpu.cores.toFixed(2)} of ${availableParallelism()} cores busy (${cpu.processS.toFixed(1)} CPU s in this process, ${cpu.childrenS.toFixed(1)} in DynamoDB Local and other child processes, in ${cpu.wallS.toFixed(1)} s${threads})`;
}

const verdict = (ok: boolean): string => (ok ? "ok" : "MISSED");

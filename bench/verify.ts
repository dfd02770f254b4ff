import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate } from "node:timers/promises";
import type { LocalRegistry } from "../infra/local/start";
import { timed } from "./stats";
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
    let whole = "";
    const nodeCpu = process.cpuUsage();
    const nodeMs = await timed(async () => {
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk);
      whole = hash.digest("hex");
    });
    const nodeCpuS = cpuSecondsSince(nodeCpu);
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
    const verifyCpu = process.cpuUsage();
    const verifyMs = await timed(() => registry.verifications.idle());
    const verifyCpuS = cpuSecondsSince(verifyCpu);
    const settled = await send<{ status: string }>(path, "GET");
    if (settled.status !== "READY") throw new Error(`the verification ended ${settled.status}`);

    const mibps = (ms: number) => bytes / MiB / (ms / 1000);
    const perGiB = (seconds: number) => seconds / (bytes / (1024 * MiB));
    return {
      verifierMiBps: mibps(verifyMs),
      nodeMiBps: mibps(nodeMs),
      ratio: mibps(verifyMs) / mibps(nodeMs),
      verifierCpuSPerGiB: perGiB(verifyCpuS),
      nodeCpuSPerGiB: perGiB(nodeCpuS),
      completeAnswerMs,
      bytes,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
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

/** Completes the version and times its verification, from `complete`'s answer until the local queue is idle; it must end READY. */
async function verificationMs(registry: LocalRegistry, version: UploadedVersion): Promise<number> {
  const completed = await send<{ status: string }>(`${version.url}/artifact/complete`, "POST", version.completion);
  if (completed.status !== "VERIFYING") throw new Error(`completing answered ${completed.status}, not VERIFYING`);
  const ms = await timed(() => registry.verifications.idle());
  const settled = await send<{ status: string }>(version.url, "GET");
  if (settled.status !== "READY") throw new Error(`the verification ended ${settled.status}`);
  return ms;
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
  const parallelMs = await verificationMs(registry, await uploadVersion(registry, "bench_files_together", await shards(1)));
  let sequentialMs = 0;
  for (const file of await shards(1 + files))
    sequentialMs += await verificationMs(registry, await uploadVersion(registry, "bench_files_in_turn", [file]));
  return { files, fileBytes, parallelMs, sequentialMs, ratio: parallelMs / sequentialMs };
}

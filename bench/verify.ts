import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
      for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((index * 2_654_435_761 + i) >>> 0, i);
      await handle.write(block, 0, Math.min(MiB, bytes - offset));
    }
  } finally {
    await handle.close();
  }
}

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

import { createHash, randomBytes } from "node:crypto";
import { LOCAL_BUCKET_NAME, type LocalRegistry } from "../infra/local/start";
import { median, timed } from "./stats";

export interface UploadFigure {
  readonly name: "upload";
  /** Presigned multipart upload throughput (registering for the URLs, then the part PUTs) over raw parallel PUT throughput (docs/operations.md, Benchmark: ≥ 0.8). */
  readonly ratio: number;
  /** The same with completion and verification counted too: S3 assembling the parts and the verifier hashing the whole object again. */
  readonly verifiedRatio: number;
  readonly multipartMiBps: number;
  readonly verifiedMiBps: number;
  readonly rawMiBps: number;
  readonly bytes: number;
  readonly parts: number;
  readonly concurrency: number;
  readonly rounds: number;
}

const MiB = 1024 * 1024;
const hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

interface PartUrl {
  readonly partNumber: number;
  readonly url: string;
  readonly headers: Record<string, string>;
}

export async function send<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${url} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function put(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, { method: "PUT", headers, body });
  if (!response.ok) throw new Error(`PUT ${url} → ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return response.headers.get("etag") ?? "";
}

/** Runs `tasks` with at most `concurrency` in flight, results in order. */
export async function inParallel<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tasks.length; i = next++) results[i] = await (tasks[i] as () => Promise<T>)();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/**
 * Artifact upload throughput (docs/operations.md, Benchmark) against the local registry's s3rver, in one run:
 * - presigned multipart: register with every part's digest (the answer carries the part URLs),
 *   PUT the parts to their presigned URLs with the signed checksum headers; then, timed apart,
 *   complete (S3 assembles the parts, the registry reads the object back and hashes it);
 * - raw parallel PUT: the same parts as plain PUTs of separate objects to the same endpoint, each
 *   with its `x-amz-checksum-sha256` header, so the S3 engine checks the same digests on both sides.
 * Rounds alternate so both see the same machine load; each round uploads fresh random bytes
 * (identical bytes would be recognised and need no upload). Digests are computed beforehand, as a
 * training cluster computes them while writing the file.
 */
export async function benchUpload(
  registry: LocalRegistry,
  options: { parts?: number; partMiB?: number; concurrency?: number; rounds?: number } = {},
): Promise<UploadFigure> {
  const { parts = 16, partMiB = 16, concurrency = 8, rounds = 5 } = options;
  const bytes = parts * partMiB * MiB;
  {
    // Load the catalog and artifacts handlers first: their module load is a cold start, not upload time.
    await send(`${registry.url}/models/bench_uploader/versions`, "POST", { source: "s3://bench/warm-up" });
    await fetch(`${registry.url}/models/bench_uploader/versions/1/artifact`).then((response) => response.arrayBuffer());
    const uploads: number[] = [];
    const verified: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const chunks = Array.from({ length: parts }, () => randomBytes(partMiB * MiB));
      const whole = createHash("sha256");
      for (const chunk of chunks) whole.update(chunk);
      const declared = {
        filename: "model.bin",
        sizeBytes: bytes,
        sha256: whole.digest("hex"),
        partSizeBytes: partMiB * MiB,
        parts: chunks.map((c, i) => ({ partNumber: i + 1, sha256: hex(c) })),
      };

      let version = 0;
      let etags: string[] = [];
      const uploadMs = await timed(async () => {
        const registered = await send<{ version: number; upload: { parts: PartUrl[] } }>(
          `${registry.url}/models/bench_uploader/versions`,
          "POST",
          { artifact: declared },
        );
        version = registered.version;
        etags = await inParallel(
          registered.upload.parts.map((part) => () => put(part.url, chunks[part.partNumber - 1] as Uint8Array, part.headers)),
          concurrency,
        );
      });
      const completeMs = await timed(async () => {
        await send(`${registry.url}/models/bench_uploader/versions/${version}/artifact/complete`, "POST", {
          parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
        });
        // The verification runs from the local queue: done when the queue is idle.
        await registry.verifications.idle();
        const settled = await send<{ status: string }>(`${registry.url}/models/bench_uploader/versions/${version}`, "GET");
        if (settled.status !== "READY") throw new Error(`the benchmark's upload ended ${settled.status}`);
      });
      uploads.push(uploadMs);
      verified.push(uploadMs + completeMs);
      raw.push(
        await timed(() =>
          inParallel(
            chunks.map(
              (chunk, i) => () =>
                put(`${registry.engines.s3}/${LOCAL_BUCKET_NAME}/bench/raw-${round}-${i}`, chunk, {
                  "x-amz-checksum-sha256": Buffer.from(declared.parts[i]?.sha256 ?? "", "hex").toString("base64"),
                }),
            ),
            concurrency,
          ),
        ),
      );
    }
    const mibps = (ms: number) => bytes / MiB / (ms / 1000);
    const [multipartMiBps, verifiedMiBps, rawMiBps] = [mibps(median(uploads)), mibps(median(verified)), mibps(median(raw))];
    return {
      name: "upload",
      ratio: multipartMiBps / rawMiBps,
      verifiedRatio: verifiedMiBps / rawMiBps,
      multipartMiBps,
      verifiedMiBps,
      rawMiBps,
      bytes,
      parts,
      concurrency,
      rounds,
    };
  }
}

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IntegrityError } from "./errors";
import { ExpiredUrlError, sendPresigned } from "./presigned";
import { isTransient, withRetries } from "./retry";
import type { RegistryClient, ResponseOf } from "./sdk";

export interface PullOptions {
  /** Any model URI (README, Model URIs): `models:/fraud_detector/Production`, `models:/fraud_detector@champion`, `models:/fraud_detector/7`. */
  readonly uri: string;
  /** A directory (the artifact's file name inside it) or a file path. Default: the artifact's file name in the working directory. */
  readonly output?: string;
  /** Ranged GETs in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Bytes per ranged GET; a smaller artifact is one GET. Default 8 MiB. */
  readonly chunkBytes?: number;
  readonly onProgress?: (progress: PullProgress) => void;
  readonly signal?: AbortSignal;
}

export interface PullProgress {
  readonly phase: "downloading" | "verifying";
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface PullResult {
  readonly path: string;
  readonly model: string;
  readonly version: number;
  readonly uri: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

type Download = ResponseOf<"downloadArtifact">;

const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Downloads a version's artifact:
 * 1. resolve the URI to a version, and ask for its presigned download URL;
 * 2. GET it in parallel byte ranges into a temporary file next to the target;
 * 3. check the size and SHA-256 against what the registry verified;
 * 4. rename the temporary file to the target: a failed or interrupted pull never leaves a partial file under the final name.
 */
export async function pull(client: RegistryClient, options: PullOptions): Promise<PullResult> {
  const resolved = await client.resolveModelUri({ query: { uri: options.uri } }, { signal: options.signal });
  const fetchUrl = () => client.downloadArtifact({ name: resolved.model, v: resolved.version }, { signal: options.signal });
  let download = await fetchUrl();
  const path = await targetPath(options.output, download.filename);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.partial`);
  const file = await open(temporary, "wx");
  try {
    await file.truncate(download.sizeBytes);
    let bytesDone = 0;
    const report = (phase: PullProgress["phase"], bytes: number) => options.onProgress?.({ phase, bytesDone: bytes, bytesTotal: download.sizeBytes });
    report("downloading", 0);
    const refresh = async () => (download = await fetchUrl());
    await forEachRange(download.sizeBytes, options.chunkBytes ?? DEFAULT_CHUNK_BYTES, options.concurrency ?? 8, async (start, end) => {
      await fetchRange(client, () => download, refresh, file, start, end, download.sizeBytes, options.signal);
      report("downloading", (bytesDone += end - start));
    });
    await file.sync();
    await file.close();
    report("verifying", download.sizeBytes);
    await verify(temporary, download);
    await rename(temporary, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return { path, model: resolved.model, version: resolved.version, uri: resolved.uri, sha256: download.sha256, sizeBytes: download.sizeBytes };
}

/** `output` is a directory when it is one already or ends with a slash (created if absent); then the artifact keeps its file name. */
async function targetPath(output: string | undefined, filename: string): Promise<string> {
  const name = basename(filename);
  if (output === undefined) return join(process.cwd(), name);
  if (/[/\\]$/.test(output)) {
    await mkdir(output, { recursive: true });
    return join(output, name);
  }
  const existing = await stat(output).catch(() => undefined);
  return existing?.isDirectory() ? join(output, name) : output;
}

async function forEachRange(size: number, chunk: number, concurrency: number, each: (start: number, end: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let start = next; start < size; start = next) {
      next += chunk;
      await each(start, Math.min(start + chunk, size));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, Math.ceil(size / chunk))) }, worker));
}

/** One byte range, written at its offset; a refused (expired) URL is replaced and the range asked for again. */
async function fetchRange(client: RegistryClient, current: () => Download, refresh: () => Promise<Download>, file: FileHandle, start: number, end: number, size: number, signal?: AbortSignal): Promise<void> {
  const whole = start === 0 && end === size;
  await withRetries(client.transport.retry, (error) => error instanceof ExpiredUrlError || isTransient(error), async () => {
    try {
      const response = await sendPresigned(client.transport, { url: current().url, headers: {} }, { method: "GET", headers: whole ? {} : { range: `bytes=${start}-${end - 1}` }, signal });
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length !== end - start || (!whole && response.status !== 206)) {
        throw new IntegrityError(`Asked S3 for bytes ${start}-${end - 1}, got ${bytes.length} bytes with status ${response.status}.`);
      }
      await file.write(bytes, 0, bytes.length, start);
    } catch (error) {
      if (error instanceof ExpiredUrlError) await refresh();
      throw error;
    }
  });
}

async function verify(path: string, download: Download): Promise<void> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  const sha256 = hash.digest("hex");
  if (size !== download.sizeBytes || sha256 !== download.sha256) {
    throw new IntegrityError(`The downloaded bytes (${size} bytes, sha256 ${sha256}) are not the artifact the registry verified (${download.sizeBytes} bytes, sha256 ${download.sha256}); nothing was written.`);
  }
}


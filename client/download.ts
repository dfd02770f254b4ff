import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IntegrityError } from "./errors";
import { ExpiredUrlError, sendPresigned } from "./presigned";
import { isTransient, withRetries } from "./retry";
import type { RegistryClient, ResponseOf } from "./sdk";

export interface PullOptions {
  /** Any model URI (docs/lifecycle.md, Model URIs): `models:/fraud_detector/Production`, `models:/fraud_detector@champion`, `models:/fraud_detector/7`. */
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
/** How far, in ranges per worker, downloads may run ahead of the hash: the bytes held in memory meanwhile. */
const AHEAD_PER_WORKER = 4;

/**
 * Downloads a version's artifact:
 * 1. resolve the URI to a version, and ask for its presigned download URL;
 * 2. GET it in parallel byte ranges into a temporary file next to the target, hashing the ranges
 *    in file order as they arrive (no second read of the file);
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
    const report = (phase: PullProgress["phase"], bytes: number) =>
      options.onProgress?.({ phase, bytesDone: bytes, bytesTotal: download.sizeBytes });
    report("downloading", 0);
    const refresh = async () => (download = await fetchUrl());
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const concurrency = options.concurrency ?? 8;
    const hash = new InOrderHash(AHEAD_PER_WORKER * concurrency * chunkBytes);
    await forEachRange(download.sizeBytes, chunkBytes, concurrency, async (start, end) => {
      await hash.reached(start);
      hash.add(start, await fetchRange(client, () => download, refresh, file, start, end, download.sizeBytes, options.signal));
      report("downloading", (bytesDone += end - start));
    });
    await file.sync();
    await file.close();
    report("verifying", download.sizeBytes);
    verify(hash.digest(), download);
    await rename(temporary, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return {
    path,
    model: resolved.model,
    version: resolved.version,
    uri: resolved.uri,
    sha256: download.sha256,
    sizeBytes: download.sizeBytes,
  };
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

/** Runs `each` over the [start, end) ranges of `size`, `chunk` bytes each, `concurrency` at a time. */
export async function forEachRange(
  size: number,
  chunk: number,
  concurrency: number,
  each: (start: number, end: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let start = next; start < size; start = next) {
      next += chunk;
      await each(start, Math.min(start + chunk, size));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, Math.ceil(size / chunk))) }, worker));
}

/** One byte range, written at its offset and answered; a refused (expired) URL is replaced and the range asked for again. */
async function fetchRange(
  client: RegistryClient,
  current: () => Download,
  refresh: () => Promise<Download>,
  file: FileHandle,
  start: number,
  end: number,
  size: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const whole = start === 0 && end === size;
  return withRetries(
    client.transport.retry,
    (error) => error instanceof ExpiredUrlError || isTransient(error),
    async () => {
      try {
        const response = await sendPresigned(
          client.transport,
          { url: current().url, headers: {} },
          { method: "GET", headers: whole ? {} : { range: `bytes=${start}-${end - 1}` }, signal },
        );
        const bytes = Buffer.from(await response.arrayBuffer());
        if (bytes.length !== end - start || (!whole && response.status !== 206)) {
          throw new IntegrityError(`Asked S3 for bytes ${start}-${end - 1}, got ${bytes.length} bytes with status ${response.status}.`);
        }
        await file.write(bytes, 0, bytes.length, start);
        return bytes;
      } catch (error) {
        if (error instanceof ExpiredUrlError) await refresh();
        throw error;
      }
    },
  );
}

/**
 * The SHA-256 of ranges that arrive in any order, taken in file order: a range that comes early
 * waits in memory for those before it. `reached` holds a download back while it would start more
 * than `aheadBytes` past the hashed prefix, which bounds that memory.
 */
class InOrderHash {
  private readonly hash = createHash("sha256");
  private readonly early = new Map<number, Buffer>();
  private readonly waiting: { start: number; resume: () => void }[] = [];
  private hashed = 0;

  constructor(private readonly aheadBytes: number) {}

  async reached(start: number): Promise<void> {
    if (start - this.hashed <= this.aheadBytes) return;
    await new Promise<void>((resume) => this.waiting.push({ start, resume }));
  }

  add(start: number, bytes: Buffer): void {
    this.early.set(start, bytes);
    for (let next = this.early.get(this.hashed); next; next = this.early.get(this.hashed)) {
      this.early.delete(this.hashed);
      this.hash.update(next);
      this.hashed += next.length;
    }
    for (const waiter of this.waiting.filter((w) => w.start - this.hashed <= this.aheadBytes)) {
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resume();
    }
  }

  digest(): { sizeBytes: number; sha256: string } {
    return { sizeBytes: this.hashed, sha256: this.hash.digest("hex") };
  }
}

function verify({ sizeBytes: size, sha256 }: { sizeBytes: number; sha256: string }, download: Download): void {
  if (size !== download.sizeBytes || sha256 !== download.sha256) {
    throw new IntegrityError(
      `The downloaded bytes (${size} bytes, sha256 ${sha256}) are not the artifact the registry verified (${download.sizeBytes} bytes, sha256 ${download.sha256}); nothing was written.`,
    );
  }
}

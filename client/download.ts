import { createHash, randomBytes } from "node:crypto";
import { rmSync, type Stats } from "node:fs";
import { mkdir, open, realpath, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { manifestPathProblems } from "../shared/domain/file-paths";
import { IntegrityError, UsageError } from "./errors";
import { deepestExisting } from "./local-paths";
import { ExpiredUrlError, sendPresigned } from "./presigned";
import { isTransient, withRetries } from "./retry";
import type { RegistryClient, ResponseOf } from "./sdk";

export interface PullOptions {
  /**
   * Any model URI (docs/lifecycle.md, Model URIs): `models:/fraud_detector/Production`, `models:/fraud_detector@champion`,
   * `models:/fraud_detector/7`; followed by `/<path>` it names one file of a multi-file version.
   */
  readonly uri: string;
  /**
   * One file: a directory (the file's name inside it) or a file path; default: its file name in the working directory.
   * A multi-file version: the directory to write its files into; default: the model's name in the working directory.
   */
  readonly output?: string;
  /** Ranged GETs in flight at once (for a directory: across its files). Default 8. */
  readonly concurrency?: number;
  /** Bytes per ranged GET; a smaller file is one GET. Default 8 MiB. */
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
  /** The file written, or for a multi-file version the directory. */
  readonly path: string;
  readonly model: string;
  readonly version: number;
  readonly uri: string;
  /** One file's SHA-256; absent for a multi-file version, whose files each carry theirs. */
  readonly sha256?: string;
  readonly sizeBytes: number;
  /** A multi-file version: every file written, its path in the version and its verified digest. */
  readonly files?: readonly PulledFile[];
}

export interface PulledFile {
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** A presigned GET with what its bytes must be; asked for again when S3 refuses the URL (it expired). */
export interface RemoteFile {
  readonly url: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 8;
/** How far, in ranges per worker, downloads may run ahead of the hash: the bytes held in memory meanwhile. */
const AHEAD_PER_WORKER = 4;
/** Manifest files asked for per page: the registry's largest page. */
const MANIFEST_PAGE = 100;

/**
 * Downloads what a model URI names:
 * 1. resolve the URI to a version (and the file it names, if any);
 * 2. one file (the version's artifact, or the file named): its presigned URL, then `downloadFile`;
 * 3. a multi-file version: its whole manifest (page by page), its paths checked before any byte is
 *    written (each stays inside the output directory; no two land on one file, even where case is
 *    ignored or through a link in the directory, or make one name both a file and a directory; none
 *    meets a directory where it has a file, or a file where it has a directory), then its files,
 *    several at a time, each with `downloadFile`.
 */
export async function pull(client: RegistryClient, options: PullOptions): Promise<PullResult> {
  const { signal } = options;
  const resolved = await client.resolveModelUri({ query: { uri: options.uri } }, { signal });
  const version = { model: resolved.model, version: resolved.version, uri: resolved.uri };
  const { file } = resolved;
  if (file !== undefined) {
    const fetchFile = () => client.downloadArtifactFile({ name: resolved.model, v: resolved.version, path: file }, { signal });
    const first = await fetchFile();
    const path = await targetPath(options.output, first.path);
    await downloadFile(client, path, first, fetchFile, { ...options, onBytes: reporter(options, first.sizeBytes) });
    return { ...version, path, sha256: first.sha256, sizeBytes: first.sizeBytes };
  }
  const fetchArtifact = async (): Promise<RemoteFile & { filename: string }> => {
    const answer = await client.downloadArtifact({ name: resolved.model, v: resolved.version }, { signal });
    if ("url" in answer) return answer;
    throw new IntegrityError(`Version ${resolved.version} of ${resolved.model} now answers several files: pull it again.`);
  };
  const first = await client.downloadArtifact({ name: resolved.model, v: resolved.version, query: { limit: MANIFEST_PAGE } }, { signal });
  if (!("url" in first)) return pullDirectory(client, { ...options, ...version }, first);
  const path = await targetPath(options.output, first.filename);
  await downloadFile(client, path, first, fetchArtifact, { ...options, onBytes: reporter(options, first.sizeBytes) });
  return { ...version, path, sha256: first.sha256, sizeBytes: first.sizeBytes };
}

type ManifestPage = Extract<ResponseOf<"downloadArtifact">, { files: unknown }>;

/** Every file of a multi-file version into one directory: the paths are checked first, then the files go several at a time. */
async function pullDirectory(
  client: RegistryClient,
  options: PullOptions & { model: string; version: number; uri: string },
  firstPage: ManifestPage,
): Promise<PullResult> {
  const { model, version, signal } = options;
  const files = [...firstPage.files];
  for (let page = firstPage; page.nextCursor; files.push(...page.files)) {
    const next = await client.downloadArtifact(
      { name: model, v: version, query: { limit: MANIFEST_PAGE, cursor: page.nextCursor } },
      { signal },
    );
    if ("url" in next) throw new IntegrityError(`Version ${version} of ${model} changed while its files were listed: pull it again.`);
    page = next;
  }
  const directory = resolve(options.output ?? model);
  await mkdir(directory, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
    throw new UsageError(
      `${directory} is a file, and version ${version} of ${model} holds several files, pulled into a directory: name a directory to pull them into. Nothing was written.`,
    );
  });
  const paths = files.map((file) => file.path);
  const [problem] = manifestPathProblems(paths);
  if (problem) throw unwritable(problem.path, directory, problem.rule);
  await assertNothingInTheWay(directory, paths);
  const targets = await Promise.all(files.map(async (file) => ({ file, path: await landingPath(directory, file.path) })));
  assertSeparateLandings(directory, targets);
  await Promise.all(targets.map(({ path }) => mkdir(dirname(path), { recursive: true })));
  const sizeBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  const onBytes = reporter(options, sizeBytes);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const perFile = Math.max(1, Math.floor(concurrency / Math.min(concurrency, files.length)));
  await forEachOf(targets, Math.min(concurrency, files.length), async ({ file, path }) => {
    const fetchFile = () => client.downloadArtifactFile({ name: model, v: version, path: file.path }, { signal });
    await downloadFile(client, path, file, fetchFile, { ...options, concurrency: perFile, onBytes });
  });
  return {
    path: directory,
    model,
    version,
    uri: options.uri,
    sizeBytes,
    files: files.map(({ path, sha256, sizeBytes: size }) => ({ path, sha256, sizeBytes: size })),
  };
}

/**
 * Where a manifest path (one the registry's rules allow: no '..', no leading '/', no '\\') lands
 * under `directory`, the links on its way followed; refused (IntegrityError, nothing written) when
 * it would land anywhere else: through a symbolic link already in the directory that points out of it.
 */
async function landingPath(directory: string, path: string): Promise<string> {
  const target = resolve(directory, ...path.split("/"));
  if (!target.startsWith(directory + sep)) throw unwritable(path, directory, "it leads out of it");
  const root = await realpath(directory);
  const existing = await deepestExisting(dirname(target));
  const reached = await realpath(existing);
  if (reached !== root && !reached.startsWith(root + sep))
    throw new IntegrityError(`The file path '${path}' goes through a symbolic link out of ${directory}; nothing was written.`);
  return join(reached, relative(existing, target));
}

/**
 * Refuses (UsageError, before any download) two paths that a link in the output directory makes
 * land on one file (`current` linked to `v2`: `current/model.bin` is `v2/model.bin`), or one on a
 * directory the other needs: the later file would replace the earlier one's verified bytes, or
 * fail midway.
 */
function assertSeparateLandings(directory: string, targets: readonly { file: { path: string }; path: string }[]): void {
  const fileAt = new Map<string, string>();
  const clash = (earlier: string, later: string, landing: string) =>
    new UsageError(
      `'${earlier}' and '${later}' would both land on ${landing} through a symbolic link in ${directory}; remove the link, or pull into another directory. Nothing was written.`,
    );
  for (const { file, path } of targets) {
    const earlier = fileAt.get(path);
    if (earlier !== undefined) throw clash(earlier, file.path, path);
    fileAt.set(path, file.path);
  }
  for (const { file, path } of targets) {
    for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
      const there = fileAt.get(folder);
      if (there !== undefined) throw clash(there, file.path, folder);
    }
  }
}

/**
 * Refuses (UsageError, before any download) an output directory holding a directory where the
 * version has a file, or a file where it has a directory: each such entry named, with what to do.
 * A file where the version has one is replaced.
 */
async function assertNothingInTheWay(directory: string, paths: readonly string[]): Promise<void> {
  const seen = new Map<string, Promise<Stats | undefined>>();
  const existing = (entry: string) => {
    const found = seen.get(entry) ?? stat(resolve(directory, ...entry.split("/"))).catch(() => undefined);
    seen.set(entry, found);
    return found;
  };
  const inTheWay = new Map<string, string>();
  for (const found of await Promise.all(paths.map((path) => entryInTheWay(path, existing)))) {
    if (found && !inTheWay.has(found.entry)) inTheWay.set(found.entry, found.problem);
  }
  if (inTheWay.size === 0) return;
  const lines = [...inTheWay].sort(([a], [b]) => (a < b ? -1 : 1)).map(([entry, problem]) => `'${entry}': ${problem}`);
  throw new UsageError(
    `${directory} holds entries in the way of the version's files; move or remove them, or pull into another directory:\n  ${lines.join("\n  ")}\nNothing was written.`,
  );
}

/** The first entry on the way to `path` that a pull could not write through: a file where a directory goes, or a directory where the file goes. */
async function entryInTheWay(
  path: string,
  existing: (entry: string) => Promise<Stats | undefined>,
): Promise<{ entry: string; problem: string } | undefined> {
  const segments = path.split("/");
  for (let depth = 1; depth < segments.length; depth++) {
    const entry = segments.slice(0, depth).join("/");
    const found = await existing(entry);
    if (found === undefined) return undefined;
    if (!found.isDirectory()) return { entry, problem: `a file, where the version has a directory (${path})` };
  }
  const found = await existing(path);
  return found?.isDirectory() ? { entry: path, problem: "a directory, where the version has a file" } : undefined;
}

/** A manifest path the registry should never have answered: refused before anything is written. */
const unwritable = (path: string, directory: string, rule: string) =>
  new IntegrityError(
    `The registry answered the file path '${path}', which is no path to write under ${directory} (${rule}); nothing was written.`,
  );

/** Progress over `bytesTotal`, fed by the bytes of any number of files. */
function reporter(options: PullOptions, bytesTotal: number): (bytes: number) => void {
  let bytesDone = 0;
  options.onProgress?.({ phase: "downloading", bytesDone, bytesTotal });
  return (bytes) => {
    bytesDone += bytes;
    options.onProgress?.({ phase: bytesDone === bytesTotal ? "verifying" : "downloading", bytesDone, bytesTotal });
  };
}

/**
 * One file:
 * 1. refuse a size no file has (a registry's answer is not trusted to be one);
 * 2. GET it in parallel byte ranges into a temporary file next to the target, hashing the ranges
 *    in file order as they arrive (no second read of the file);
 * 3. check the size and SHA-256 against what the registry verified;
 * 4. rename the temporary file to the target: a failed or interrupted pull never leaves a partial file under the final name.
 */
export async function downloadFile(
  client: RegistryClient,
  path: string,
  first: RemoteFile,
  fetchUrl: () => Promise<RemoteFile>,
  options: Pick<PullOptions, "concurrency" | "chunkBytes" | "signal"> & { onBytes: (bytes: number) => void },
): Promise<void> {
  if (!Number.isSafeInteger(first.sizeBytes) || first.sizeBytes < 0)
    throw new IntegrityError(
      `The registry answered a size of ${first.sizeBytes} bytes for ${basename(path)}: no file has it; nothing was written.`,
    );
  let download = first;
  // Not named after the file: its name may take all 255 bytes a file name has.
  const temporary = join(dirname(path), `.${randomBytes(4).toString("hex")}.partial`);
  const file = await open(temporary, "wx");
  holdPartial(temporary);
  try {
    await file.truncate(download.sizeBytes);
    const refresh = async () => (download = await fetchUrl());
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const hash = new InOrderHash(AHEAD_PER_WORKER * concurrency * chunkBytes);
    await forEachRange(download.sizeBytes, chunkBytes, concurrency, async (start, end) => {
      await hash.reached(start);
      hash.add(start, await fetchRange(client, () => download, refresh, file, start, end, download.sizeBytes, options.signal));
      options.onBytes(end - start);
    });
    await file.sync();
    await file.close();
    verify(hash.digest(), download);
    await rename(temporary, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  } finally {
    releasePartial(temporary);
  }
}

/**
 * The temporary files of the downloads under way. A process that exits in the middle of them (the
 * CLI's Ctrl-C ends it with process.exit) removes them as it goes: each takes its file's whole size.
 */
const partialFiles = new Set<string>();

const removePartialFiles = () => {
  for (const path of partialFiles) rmSync(path, { force: true });
};

function holdPartial(path: string): void {
  if (partialFiles.size === 0) process.on("exit", removePartialFiles);
  partialFiles.add(path);
}

function releasePartial(path: string): void {
  partialFiles.delete(path);
  if (partialFiles.size === 0) process.off("exit", removePartialFiles);
}

/** `output` is a directory when it is one already or ends with a slash (created if absent); then the file keeps its name. */
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

/** Runs `each` over `items`, `concurrency` at a time. */
async function forEachOf<T>(items: readonly T[], concurrency: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await each(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
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
  current: () => RemoteFile,
  refresh: () => Promise<RemoteFile>,
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

function verify({ sizeBytes: size, sha256 }: { sizeBytes: number; sha256: string }, download: RemoteFile): void {
  if (size !== download.sizeBytes || sha256 !== download.sha256) {
    throw new IntegrityError(
      `The downloaded bytes (${size} bytes, sha256 ${sha256}) are not the artifact the registry verified (${download.sizeBytes} bytes, sha256 ${download.sha256}); nothing was written.`,
    );
  }
}

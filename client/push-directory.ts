import { open, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { manifestPathProblems } from "../shared/domain/file-paths";
import { IntegrityError, UsageError } from "./errors";
import { hashFile, planParts, type FileDigests, type PartPlan } from "./parts";
import type { DonePart } from "./journal";
import type { RegistryClient, RequestOf } from "./sdk";
import type { FileUploadView } from "../shared/schemas/artifact";
import {
  BytesRemoved,
  multipartUrls,
  putParts,
  putSingle,
  verified,
  type FileSend,
  type PushProgress,
  type Reporter,
  type UploadView,
  type VersionMetadataInput,
  type VersionView,
} from "./upload";

export interface PushDirectoryOptions {
  readonly directory: string;
  readonly model: string;
  readonly metadata?: VersionMetadataInput;
  /** Requests in flight at once, across the files. Default 8. */
  readonly concurrency?: number;
  /** Over all the directory's bytes: `partsDone`/`partsTotal` count files while uploading and verifying. */
  readonly onProgress?: (progress: PushProgress) => void;
  /** What people should hear of: a link not followed. The SDK never prints. */
  readonly onNotice?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface PushDirectoryResult {
  readonly version: VersionView;
  /** The paths whose bytes this push sent; the registry held the others, verified, or another file here has the same bytes. */
  readonly filesUploaded: readonly string[];
  readonly filesTotal: number;
  readonly bytesUploaded: number;
}

/** A file of the directory: the path it is declared under (relative, `/`-separated, NFC) and where to read it. */
interface LocalFile {
  readonly path: string;
  readonly absolute: string;
  readonly sizeBytes: number;
}

interface HashedFile extends LocalFile {
  readonly plan: PartPlan;
  readonly digests: FileDigests;
}

/** The registered version files are sent to. */
interface Destination {
  readonly client: RegistryClient;
  readonly name: string;
  readonly v: number;
  readonly signal?: AbortSignal;
}

type Progress = (phase: PushProgress["phase"], bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number) => void;

const DEFAULT_CONCURRENCY = 8;
const MAX_PART_URLS_PER_REQUEST = 250;

/**
 * Registers a directory as a multi-file version of `model` (docs/artifacts.md, "A version made of several files"):
 * 1. walk it: regular files, and links to files inside it; links out of it, and linked directories, are skipped, saying so;
 *    paths the registry would refuse are refused here, each with its rule, before anything is read;
 * 2. hash every file (one read each), then register the manifest;
 * 3. upload the files the registry asks for (a large manifest's answer names the first ones: the
 *    rest of the plan is paged with …/artifact/uploads), several at a time, each as the single artifact would go
 *    (one PUT, or parts); complete (with the parts' ETags, for files sent in parts), and wait for READY.
 */
export async function pushDirectory(client: RegistryClient, options: PushDirectoryOptions): Promise<PushDirectoryResult> {
  const { model: name, signal } = options;
  const progress: Progress = (phase, bytesDone, bytesTotal, partsDone, partsTotal) =>
    options.onProgress?.({ phase, bytesDone, bytesTotal, partsDone, partsTotal });
  const files = await hashAll(await listDirectory(resolve(options.directory), options.onNotice), progress);
  progress("registering", 0, 0, 0, 0);
  const declared = files.map(({ path, sizeBytes, digests }) => ({ path, sizeBytes, sha256: digests.sha256 }));
  const registered = await client.registerVersion({ name, body: { ...options.metadata, files: declared } }, { signal });
  const { upload: _upload, uploads = [], nextUploadsCursor, warnings: _warnings, ...registeredVersion } = registered;
  const destination: Destination = { client, name, v: registered.version, signal };
  const sending = askedFor(files, [...uploads, ...(await restOfPlan(destination, nextUploadsCursor))]);
  if (sending.length === 0 && registeredVersion.status === "READY")
    return { version: registeredVersion, filesUploaded: [], filesTotal: files.length, bytesUploaded: 0 };

  const multipart = await uploadAll(destination, sending, options.concurrency ?? DEFAULT_CONCURRENCY, progress);
  const bytesUploaded = sumOfSizes(sending.map(({ file }) => file));
  progress("completing", bytesUploaded, bytesUploaded, sending.length, sending.length);
  const completed = await client.completeUpload({ name, v: registered.version, body: completionBody(multipart) }, { signal });
  const totalBytes = sumOfSizes(files);
  const version = await settled(destination, completed, (phase, bytesDone, filesDone) =>
    progress(phase, bytesDone, totalBytes, filesDone, files.length),
  );
  return { version, filesUploaded: sending.map(({ file }) => file.path), filesTotal: files.length, bytesUploaded };
}

const sumOfSizes = (files: readonly LocalFile[]): number => files.reduce((sum, file) => sum + file.sizeBytes, 0);

/** Every file's plan and digests, one read each, with one progress bar over all the bytes. */
async function hashAll(files: readonly LocalFile[], progress: Progress): Promise<HashedFile[]> {
  const totalBytes = sumOfSizes(files);
  let hashed = 0;
  progress("hashing", 0, totalBytes, 0, files.length);
  const result: HashedFile[] = [];
  for (const file of files) {
    const plan = planParts(file.sizeBytes);
    const digests = await hashFile(file.absolute, plan, (bytes) =>
      progress("hashing", (hashed += bytes), totalBytes, result.length, files.length),
    );
    result.push({ ...file, plan, digests });
  }
  return result;
}

/** Uploads the registry answers a page at a time (the most it takes). */
const UPLOADS_PAGE = 100;

/** The uploads of a large manifest beyond those its registration answered: GET …/artifact/uploads, page by page from `cursor`. */
async function restOfPlan({ client, name, v, signal }: Destination, cursor: string | undefined): Promise<FileUploadView[]> {
  const plan: FileUploadView[] = [];
  for (let next = cursor; next !== undefined; ) {
    const page = await client.listUploads({ name, v, query: { limit: UPLOADS_PAGE, cursor: next } }, { signal });
    plan.push(...page.uploads);
    next = page.nextCursor;
  }
  return plan;
}

/** The files the registration asked for, with their uploads; the others the registry holds, verified. */
function askedFor(files: readonly HashedFile[], uploads: readonly FileUploadView[]): { file: HashedFile; upload: UploadView }[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  return uploads.flatMap(({ path, upload }) => {
    if (upload === null) return [];
    const file = byPath.get(path);
    if (!file) throw new IntegrityError(`The registry asked for '${path}', which this push did not declare.`);
    return [{ file, upload }];
  });
}

/**
 * Sends the files `concurrency` requests at a time: as many files at once, each with its share of
 * the requests for its parts. Answers the parts of the files sent in parts, for completion.
 */
async function uploadAll(
  destination: Destination,
  sending: readonly { file: HashedFile; upload: UploadView }[],
  concurrency: number,
  progress: Progress,
): Promise<{ path: string; parts: DonePart[] }[]> {
  const filesAtOnce = Math.min(concurrency, sending.length);
  const perFile = Math.max(1, Math.floor(concurrency / filesAtOnce));
  const bytesTotal = sumOfSizes(sending.map(({ file }) => file));
  const sentOf = new Map<string, number>();
  const report = (file: HashedFile, bytesDone: number) => {
    sentOf.set(file.path, bytesDone);
    const filesDone = sending.filter((item) => sentOf.get(item.file.path) === item.file.sizeBytes).length;
    progress(
      "uploading",
      [...sentOf.values()].reduce((sum, n) => sum + n, 0),
      bytesTotal,
      filesDone,
      sending.length,
    );
  };
  const multipart: { path: string; parts: DonePart[] }[] = [];
  let next = 0;
  const worker = async () => {
    for (let item = sending[next++]; item !== undefined; item = sending[next++]) {
      const { file, upload } = item;
      const send = fileSend(destination, file, perFile, (bytesDone) => report(file, bytesDone));
      const handle = await open(file.absolute, "r");
      try {
        if (upload.method === "PUT") await putSingle(send, handle, upload);
        else multipart.push({ path: file.path, parts: await putParts(send, handle, upload) });
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: filesAtOnce }, worker));
  return multipart;
}

/** One file of the manifest as the single-file upload code sends it; fresh URLs name the file by its path. */
function fileSend(destination: Destination, file: HashedFile, concurrency: number, onBytes: (bytesDone: number) => void): FileSend {
  const { client, name, v, signal } = destination;
  return {
    transport: client.transport,
    file: file.absolute,
    plan: file.plan,
    digests: file.digests,
    batchSize: Math.min(2 * concurrency, MAX_PART_URLS_PER_REQUEST),
    concurrency,
    report: (_phase, bytesDone) => onBytes(bytesDone),
    parts: inMemoryLog(),
    sent: { parts: 0, bytes: 0 },
    signal,
    freshPut: () => freshPutOf(destination, file.path),
    partUrls: (parts) => multipartUrls(client, name, v, { path: file.path, parts }, signal),
  };
}

/** The version once the registry's verification is over: READY, or an IntegrityError saying what went wrong. */
async function settled(destination: Destination, completed: VersionView, report: Reporter): Promise<VersionView> {
  const { client, name, v, signal } = destination;
  const version = await verified(client, report, completed, signal).catch((error: unknown) => {
    if (error instanceof BytesRemoved)
      throw new IntegrityError(
        `Some bytes of version ${v} of ${name} were removed while the registry verified them: push the directory again.`,
      );
    throw error;
  });
  if (version.status === "FAILED")
    throw new IntegrityError(
      `The registry verified version ${v} of ${name} and refused its bytes: ${version.files?.failureReason ?? "no reason given"}. Did a file change during the upload?`,
    );
  return version;
}

/**
 * No body when every file went in one PUT (what the registry takes today); `{ files: [{ path, parts }] }`
 * when some went in parts, the form the registry takes for manifests that hold multipart files.
 */
function completionBody(multipart: { path: string; parts: DonePart[] }[]): RequestOf<"completeUpload">["body"] {
  if (multipart.length === 0) return undefined;
  return { files: multipart } as unknown as RequestOf<"completeUpload">["body"];
}

/** A fresh single-PUT URL for one file of the manifest, when S3 refused the one in hand: the upload plan, paged until it names the file. */
async function freshPutOf(destination: Destination, path: string) {
  const { client, name, v, signal } = destination;
  let upload: UploadView | null | undefined;
  for (let cursor: string | undefined, first = true; upload === undefined && (first || cursor !== undefined); first = false) {
    const page = await client.listUploads({ name, v, query: { limit: UPLOADS_PAGE, ...(cursor ? { cursor } : {}) } }, { signal });
    upload = page.uploads.find((entry) => entry.path === path)?.upload;
    cursor = page.nextCursor;
  }
  if (upload?.method !== "PUT") throw new IntegrityError(`Version ${v} of ${name} no longer expects a single PUT of '${path}'.`);
  return upload;
}

/** A directory push keeps no resume journal: a file's parts are recorded for its completion only. */
function inMemoryLog() {
  const doneParts: DonePart[] = [];
  return {
    doneParts,
    partDone: async (part: DonePart) => void doneParts.push(part),
  };
}

/**
 * The directory's files in path order, declared under NFC paths; refused (UsageError, listing
 * every problem) when it holds nothing to push or a path the registry would refuse.
 */
export async function listDirectory(directory: string, onNotice?: (message: string) => void): Promise<LocalFile[]> {
  const root = await realpath(directory);
  const files: LocalFile[] = [];
  const visit = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const absolute = join(folder, entry.name);
      const path = relative(directory, absolute).split(sep).join("/").normalize("NFC");
      if (entry.isDirectory()) await visit(absolute);
      else if (entry.isFile()) files.push({ path, absolute, sizeBytes: (await stat(absolute)).size });
      else if (entry.isSymbolicLink()) await followLink(root, absolute, path, files, onNotice);
    }
  };
  await visit(directory);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const problems = manifestPathProblems(files.map((file) => file.path)).map(({ path, rule }) => `'${path}': ${rule}`);
  if (files.length === 0) throw new UsageError(`${directory} holds no files to push.`);
  if (problems.length > 0)
    throw new UsageError(`${directory} holds files the registry would refuse; rename or remove them:\n  ${problems.join("\n  ")}`);
  return files;
}

/** A link to a file inside the directory is pushed as that file; a link out of it, or to a directory, is skipped. */
async function followLink(
  root: string,
  absolute: string,
  path: string,
  files: LocalFile[],
  onNotice?: (message: string) => void,
): Promise<void> {
  const target = await realpath(absolute).catch(() => undefined);
  const info = target === undefined ? undefined : await stat(target);
  if (target === undefined || !target.startsWith(root + sep)) onNotice?.(`Skipping ${path}: a link that points out of the directory.`);
  else if (!info?.isFile()) onNotice?.(`Skipping ${path}: a link to a directory is not followed.`);
  else files.push({ path, absolute, sizeBytes: info.size });
}

import type { Dirent, Stats } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { manifestPathProblems } from "../shared/domain/file-paths";
import { IntegrityError, UsageError } from "./errors";
import { hashListedFile, partRange, planParts, type FileDigests, type PartPlan } from "./parts";
import {
  defaultJournalDirectory,
  directoryJournalMismatch,
  DirectoryJournal,
  journalPath,
  trustedEntry,
  type DirectoryPushIdentity,
  type FileUploadState,
} from "./journal";
import { assertFitsOneInvocation, type RegistryClient, type RequestOf } from "./sdk";
import { MAX_PART_URLS_PER_REQUEST, type FileUploadView } from "../shared/schemas/artifact";
import {
  assertModelName,
  BytesRemoved,
  continuedVersion,
  fingerprint,
  multipartUrls,
  putParts,
  putSingle,
  uploadLost,
  verified,
  type FileSend,
  type PushProgress,
  type Reporter,
  type UploadView,
  type VersionMetadataInput,
  type VerificationWait,
  type VersionView,
} from "./upload";

export interface PushDirectoryOptions extends VerificationWait {
  readonly directory: string;
  readonly model: string;
  readonly metadata?: VersionMetadataInput;
  /** Requests in flight at once, across the files. Default 8. */
  readonly concurrency?: number;
  /** Over all the directory's bytes: `partsDone`/`partsTotal` count files while uploading and verifying. */
  readonly onProgress?: (progress: PushProgress) => void;
  /** What people should hear of: a link not followed, a push resumed, a resume journal discarded. The SDK never prints. */
  readonly onNotice?: (message: string) => void;
  /** Where resume journals live. Default: the user cache directory (client/journal.ts). */
  readonly journalDirectory?: string;
}

export interface PushDirectoryResult {
  readonly version: VersionView;
  /** The paths whose bytes this push sent; the registry held the others, verified, or another file here has the same bytes, or an interrupted push sent them. */
  readonly filesUploaded: readonly string[];
  readonly filesTotal: number;
  /** Bytes this push sent. */
  readonly bytesUploaded: number;
  /** Bytes an interrupted push of this directory had sent already (its resume journal's). */
  readonly bytesResumed: number;
}

/** A file of the directory: the path it is declared under (relative, `/`-separated, NFC) and where to read it. */
interface LocalFile {
  readonly path: string;
  readonly absolute: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

interface HashedFile extends LocalFile {
  readonly plan: PartPlan;
  readonly digests: FileDigests;
}

/** The registered version files are sent to, and the journal that records what S3 took. */
interface Destination {
  readonly client: RegistryClient;
  readonly name: string;
  readonly v: number;
  readonly journal: DirectoryJournal;
  readonly signal?: AbortSignal;
}

/** A file the version asks bytes for: the upload in hand (none when resuming: URLs are asked for), and what S3 took already. */
interface Sending {
  readonly file: HashedFile;
  readonly upload: UploadView | undefined;
  readonly state: FileUploadState;
}

type Progress = (phase: PushProgress["phase"], bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number) => void;
type RegistrationBody = RequestOf<"registerVersion">["body"];

const DEFAULT_CONCURRENCY = 8;

/**
 * Registers a directory as a multi-file version of `model` (docs/artifacts.md, "A version made of several files"):
 * 1. walk it: regular files, and links to files inside it; links out of it, and linked directories, are skipped, saying so;
 *    a named pipe, a socket or a device (or a link to one) is refused, as it has no file's bytes;
 *    paths the registry would refuse are refused here, each with its rule, before anything is read, and so is a
 *    manifest too large for one request (docs/client.md);
 * 2. hash every file (one read each); trust the resume journal of an interrupted push only if it is of
 *    these very files (paths, sizes, modification times, digests) and metadata;
 * 3. register the manifest (under the journal's idempotency key), unless the journal names a version
 *    still waiting for its bytes (or being verified, or READY: nothing to send);
 * 4. upload the files the version asks for (a large manifest's answer names the first ones: the rest of
 *    the plan is paged with …/artifact/uploads) and the journal does not list as done, several at a time,
 *    each as the single artifact would go (one PUT, or parts), each part and file written to the
 *    journal; complete (with the parts' ETags, for files sent in parts), and wait for READY; when S3
 *    no longer holds a multipart upload (`uploadLost`), start the version's upload again, once.
 */
export async function pushDirectory(client: RegistryClient, options: PushDirectoryOptions): Promise<PushDirectoryResult> {
  const { model: name, signal } = options;
  assertModelName(name);
  const progress: Progress = (phase, bytesDone, bytesTotal, partsDone, partsTotal) =>
    options.onProgress?.({ phase, bytesDone, bytesTotal, partsDone, partsTotal });
  const listed = await listDirectory(resolve(options.directory), options.onNotice);
  // A digest is 64 hex digits whatever the bytes: a manifest too large to send is refused before any file is read.
  assertFitsOneInvocation("registerVersion", JSON.stringify(registrationBody(listed, () => UNREAD_SHA256, options.metadata)));
  const files = await hashAll(listed, progress);
  const body = registrationBody(files, (file) => file.digests.sha256, options.metadata);
  const journal = await openJournal(client, files, body, options);
  progress("registering", 0, 0, 0, 0);
  const started = await registerOrResume(client, files, body, journal, options);
  const nothingSent = { filesTotal: files.length, filesUploaded: [], bytesUploaded: 0, bytesResumed: 0 };
  if ("ready" in started) {
    await journal.remove();
    return { version: started.ready, ...nothingSent };
  }
  const v = "verifying" in started ? started.verifying.version : started.version;
  const destination: Destination = { client, name, v, journal, signal };
  // Killed while the registry verified: wait for that verification.
  const { sent, completed } =
    "verifying" in started
      ? { sent: nothingSent, completed: started.verifying }
      : await sendAndComplete(destination, files, started.uploads, options, progress).catch((error: unknown) =>
          restartedOnce(destination, files, error, options, progress),
        );
  const totalBytes = sumOfSizes(files);
  const version = await settled(destination, completed, options, (phase, bytesDone, filesDone) =>
    progress(phase, bytesDone, totalBytes, filesDone, files.length),
  );
  return { ...sent, version, filesTotal: files.length };
}

/** Sends what the version still asks for (`uploads` in hand, or from the journal when resuming) and completes it. */
async function sendAndComplete(
  destination: Destination,
  files: readonly HashedFile[],
  uploads: FileUploadView[] | undefined,
  options: PushDirectoryOptions,
  progress: Progress,
): Promise<{ sent: Awaited<ReturnType<typeof uploadAll>>; completed: VersionView }> {
  const { client, name, v, journal, signal } = destination;
  const sending = await toSend(destination, files, uploads, options);
  const sent = await uploadAll(destination, sending, options.concurrency ?? DEFAULT_CONCURRENCY, progress);
  progress("completing", sent.bytesUploaded, sent.bytesUploaded, sent.filesUploaded.length, sent.filesUploaded.length);
  const completed = await client.completeUpload({ name, v, body: completionBody(journal) }, { signal });
  return { sent, completed };
}

/**
 * After a failure a fresh upload mends (`uploadLost`: the multipart uploads S3 held are gone, aborted
 * by the bucket's lifecycle rule or replaced), every file's upload once more (docs/artifacts.md),
 * the files S3 holds kept; any other failure as it came.
 */
async function restartedOnce(
  destination: Destination,
  files: readonly HashedFile[],
  error: unknown,
  options: PushDirectoryOptions,
  progress: Progress,
): ReturnType<typeof sendAndComplete> {
  if (!uploadLost(error)) throw error;
  const { client, name, v, journal, signal } = destination;
  const uploads = (await client.restartUpload({ name, v }, { signal })).uploads ?? [];
  await journal.restarted(askedFor(files, uploads).map(uploadOf));
  return sendAndComplete(destination, files, uploads, options, progress);
}

const UNREAD_SHA256 = "0".repeat(64);

/** The registration of these files under `metadata`: each file's path, size and SHA-256. */
function registrationBody<F extends LocalFile>(
  files: readonly F[],
  sha256Of: (file: F) => string,
  metadata: VersionMetadataInput | undefined,
): RegistrationBody {
  return { ...metadata, files: files.map((file) => ({ path: file.path, sizeBytes: file.sizeBytes, sha256: sha256Of(file) })) };
}

const sumOfSizes = (files: readonly LocalFile[]): number => files.reduce((sum, file) => sum + file.sizeBytes, 0);

/** The journal of an interrupted push of exactly these files and metadata, or a fresh one; one that does not fit is discarded, saying why. */
async function openJournal(
  client: RegistryClient,
  files: readonly HashedFile[],
  body: RegistrationBody,
  options: PushDirectoryOptions,
): Promise<DirectoryJournal> {
  const directory = resolve(options.directory);
  const identity: DirectoryPushIdentity = {
    registry: client.transport.url.href,
    model: options.model,
    directory,
    files: files.map(({ path, sizeBytes, mtimeMs, digests }) => ({ path, sizeBytes, mtimeMs, sha256: digests.sha256 })),
    registrationSha256: fingerprint(body),
  };
  const path = journalPath(options.journalDirectory ?? defaultJournalDirectory(), { ...identity, file: directory });
  const mismatch = (stored: Parameters<typeof directoryJournalMismatch>[0]) => directoryJournalMismatch(stored, identity);
  return DirectoryJournal.start(path, identity, await trustedEntry(path, DirectoryJournal.read, mismatch, directory, options.onNotice));
}

type Started =
  | { readonly ready: VersionView }
  | { readonly verifying: VersionView }
  | { readonly version: number; uploads?: FileUploadView[] };

/**
 * The version this push uploads to: the journal's, if it can go on (its uploads not in hand: they
 * are asked for); else a registration, sent with the journal's idempotency key so that one
 * interrupted before its answer was saved gets the same version again.
 */
async function registerOrResume(
  client: RegistryClient,
  files: readonly HashedFile[],
  body: RegistrationBody,
  journal: DirectoryJournal,
  { model: name, directory, signal, onNotice }: PushDirectoryOptions,
): Promise<Started> {
  const ours = (version: VersionView) => version.files?.count === files.length;
  const current = await continuedVersion(client, name, journal, { subject: resolve(directory), ours, onNotice, signal });
  if (current?.status === "READY") return { ready: current };
  if (current?.status === "VERIFYING") return { verifying: current };
  if (current) return { version: current.version };
  const registered = await client.registerVersion({ name, body }, { signal, idempotencyKey: journal.idempotencyKey });
  const { upload: _upload, uploads: first = [], nextUploadsCursor, warnings: _warnings, ...version } = registered;
  const uploads = [...first, ...(await restOfPlan({ client, name, v: version.version, signal }, nextUploadsCursor))];
  const asked = askedFor(files, uploads);
  await journal.registered(version.version, asked.map(uploadOf));
  return asked.length === 0 && version.status === "READY" ? { ready: version } : { version: version.version, uploads };
}

/** A file's upload as the journal keeps it: its path, and its multipart upload's id if it goes in parts. */
const uploadOf = ({ file, upload }: { file: HashedFile; upload: UploadView }) => ({
  path: file.path,
  uploadId: upload.method === "MULTIPART" ? upload.uploadId : undefined,
});

/**
 * The files to send, each with what S3 took already: those the registration asked for; or,
 * resuming, those the journal does not list as done. A file still to send in one PUT needs a fresh
 * URL, which the version's upload plan gives (GET …/artifact/uploads) while leaving every file's
 * multipart upload, and the parts S3 took for it, as they are.
 */
async function toSend(
  destination: Destination,
  files: readonly HashedFile[],
  uploads: FileUploadView[] | undefined,
  { directory, onNotice }: PushDirectoryOptions,
): Promise<Sending[]> {
  const { name, v, journal } = destination;
  const byPath = new Map(files.map((file) => [file.path, file]));
  let answered = uploads;
  if (!answered) {
    const done = journal.uploads.filter((upload) => upload.done).length;
    onNotice?.(
      `Resuming the push of ${resolve(directory)} to version ${v} of ${name}: ${done} of ${journal.uploads.length} file(s) already uploaded.`,
    );
    if (journal.uploads.some((upload) => !upload.done && upload.uploadId === undefined)) {
      answered = await uploadPlan(destination);
      await journal.restarted(askedFor(files, answered).map(uploadOf));
    }
  }
  const inHand = new Map(answered?.map(({ path, upload }) => [path, upload ?? undefined]));
  const sending = journal.uploads.map((state) => ({ file: byPath.get(state.path) as HashedFile, upload: inHand.get(state.path), state }));
  return sending.sort((a, b) => Number(a.state.uploadId !== undefined) - Number(b.state.uploadId !== undefined));
}

/** Every file's plan and digests, one read each, with one progress bar over all the bytes. */
async function hashAll(files: readonly LocalFile[], progress: Progress): Promise<HashedFile[]> {
  const totalBytes = sumOfSizes(files);
  let hashed = 0;
  progress("hashing", 0, totalBytes, 0, files.length);
  const result: HashedFile[] = [];
  for (const file of files) {
    const plan = planParts(file.sizeBytes);
    const digests = await hashListedFile(file.absolute, file, plan, (bytes) =>
      progress("hashing", (hashed += bytes), totalBytes, result.length, files.length),
    );
    result.push({ ...file, plan, digests });
  }
  return result;
}

/** Uploads the registry answers a page at a time (the most it takes). */
const UPLOADS_PAGE = 100;

/** The version's whole upload plan, with fresh URLs: GET …/artifact/uploads from its first page. */
async function uploadPlan(destination: Omit<Destination, "journal">): Promise<FileUploadView[]> {
  const { client, name, v, signal } = destination;
  const first = await client.listUploads({ name, v, query: { limit: UPLOADS_PAGE } }, { signal });
  return [...first.uploads, ...(await restOfPlan(destination, first.nextCursor))];
}

/** The uploads of a large manifest beyond those its registration answered: GET …/artifact/uploads, page by page from `cursor`. */
async function restOfPlan(
  { client, name, v, signal }: Omit<Destination, "journal">,
  cursor: string | undefined,
): Promise<FileUploadView[]> {
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

/** The bytes of a file S3 holds already, by the journal: all of a file done, else its parts done. */
function bytesDone({ file, state }: Sending): number {
  if (state.done) return file.sizeBytes;
  return state.parts.reduce((sum, { partNumber }) => {
    const { start, end } = partRange(file.plan, file.sizeBytes, partNumber);
    return sum + end - start;
  }, 0);
}

/**
 * Sends the files not done yet, `concurrency` requests at a time: as many files at once, each with
 * its share of the requests for its parts, each part and file written to the journal.
 */
async function uploadAll(
  destination: Destination,
  sending: readonly Sending[],
  concurrency: number,
  progress: Progress,
): Promise<{ filesUploaded: string[]; bytesUploaded: number; bytesResumed: number }> {
  const missing = sending.filter(({ state }) => !state.done);
  const filesAtOnce = Math.max(1, Math.min(concurrency, missing.length));
  const perFile = Math.max(1, Math.floor(concurrency / filesAtOnce));
  const bytesTotal = sumOfSizes(sending.map(({ file }) => file));
  const sentOf = new Map(sending.map((item) => [item.file.path, bytesDone(item)]));
  const bytesResumed = [...sentOf.values()].reduce((sum, n) => sum + n, 0);
  const report = (file: HashedFile, bytes: number) => {
    sentOf.set(file.path, bytes);
    const filesDone = sending.filter((item) => sentOf.get(item.file.path) === item.file.sizeBytes).length;
    progress(
      "uploading",
      [...sentOf.values()].reduce((sum, n) => sum + n, 0),
      bytesTotal,
      filesDone,
      sending.length,
    );
  };
  const sends: FileSend[] = [];
  let next = 0;
  const worker = async () => {
    for (let item = missing[next++]; item !== undefined; item = missing[next++]) {
      const { file, upload, state } = item;
      const send = fileSend(destination, item, perFile, (bytes) => report(file, bytes));
      sends.push(send);
      const handle = await open(file.absolute, "r");
      try {
        if (state.uploadId === undefined) await putSingle(send, handle, upload?.method === "PUT" ? upload : await send.freshPut());
        else await putParts(send, handle, upload?.method === "MULTIPART" ? upload : undefined);
      } finally {
        await handle.close();
      }
      await destination.journal.fileDone(file.path);
    }
  };
  await Promise.all(Array.from({ length: filesAtOnce }, worker));
  return {
    filesUploaded: missing.map(({ file }) => file.path),
    bytesUploaded: sends.reduce((sum, send) => sum + send.sent.bytes, 0),
    bytesResumed,
  };
}

/** One file of the manifest as the single-file upload code sends it, its parts written to the journal; fresh URLs name the file by its path. */
function fileSend(destination: Destination, { file, state }: Sending, concurrency: number, onBytes: (bytesDone: number) => void): FileSend {
  const { client, name, v, journal, signal } = destination;
  return {
    transport: client.transport,
    file: file.absolute,
    plan: file.plan,
    digests: file.digests,
    batchSize: Math.min(2 * concurrency, MAX_PART_URLS_PER_REQUEST),
    concurrency,
    report: (_phase, bytesDone) => onBytes(bytesDone),
    parts: { doneParts: state.parts, partDone: (part) => journal.partDone(file.path, part) },
    sent: { parts: 0, bytes: 0 },
    signal,
    freshPut: () => freshPutOf(destination, file.path),
    partUrls: (parts) => multipartUrls(client, name, v, { path: file.path, parts }, signal),
  };
}

/** The version once the registry's verification is over: READY, or an IntegrityError saying what went wrong; the journal is done with either way. */
async function settled(destination: Destination, completed: VersionView, wait: VerificationWait, report: Reporter): Promise<VersionView> {
  const { client, name, v, journal } = destination;
  const version = await verified(client, report, completed, wait).catch(async (error: unknown) => {
    if (!(error instanceof BytesRemoved)) throw error;
    await journal.remove();
    throw new IntegrityError(
      `Some bytes of version ${v} of ${name} were removed while the registry verified them: push the directory again.`,
    );
  });
  await journal.remove();
  if (version.status === "FAILED")
    throw new IntegrityError(
      `The registry verified version ${v} of ${name} and refused its bytes: ${version.files?.failureReason ?? "no reason given"}. Did a file change during the upload?`,
    );
  return version;
}

/**
 * No body when every file went in one PUT (what the registry takes today); `{ files: [{ path, parts }] }`
 * with every part the journal recorded, in order, when some went in parts.
 */
function completionBody(journal: DirectoryJournal): RequestOf<"completeUpload">["body"] {
  const multipart = journal.uploads
    .filter((upload) => upload.uploadId !== undefined)
    .map(({ path, parts }) => ({ path, parts: [...parts].sort((a, b) => a.partNumber - b.partNumber) }));
  if (multipart.length === 0) return undefined;
  return { files: multipart } as unknown as RequestOf<"completeUpload">["body"];
}

/** A fresh single-PUT URL for one file of the manifest, when S3 refused the one in hand: the version's upload plan names it. */
async function freshPutOf(destination: Destination, path: string) {
  const { name, v } = destination;
  const upload = (await uploadPlan(destination)).find((entry) => entry.path === path)?.upload;
  if (upload?.method !== "PUT") throw new IntegrityError(`Version ${v} of ${name} no longer expects a single PUT of '${path}'.`);
  return upload;
}

/**
 * The directory's files in path order, declared under NFC paths; refused (UsageError, listing
 * every problem) when it holds nothing to push, an entry that is no file (a named pipe, a socket,
 * a device: their bytes are no file's), or a path the registry would refuse.
 */
export async function listDirectory(directory: string, onNotice?: (message: string) => void): Promise<LocalFile[]> {
  const root = await realpath(directory);
  const files: LocalFile[] = [];
  const notFiles: string[] = [];
  const visit = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const absolute = join(folder, entry.name);
      const path = relative(directory, absolute).split(sep).join("/").normalize("NFC");
      if (entry.isDirectory()) await visit(absolute);
      else if (entry.isFile()) {
        const { size, mtimeMs } = await stat(absolute);
        files.push({ path, absolute, sizeBytes: size, mtimeMs });
      } else if (entry.isSymbolicLink()) await followLink(root, { path, absolute }, { files, notFiles }, onNotice);
      else notFiles.push(`'${path}': ${kindOfNonFile(entry)}`);
    }
  };
  await visit(directory);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (notFiles.length > 0)
    throw new UsageError(
      `${directory} holds entries that are no files, whose bytes a version cannot hold; remove them or move them out of it:\n  ${notFiles.sort().join("\n  ")}`,
    );
  const problems = manifestPathProblems(files.map((file) => file.path)).map(({ path, rule }) => `'${path}': ${rule}`);
  if (files.length === 0) throw new UsageError(`${directory} holds no files to push.`);
  if (problems.length > 0)
    throw new UsageError(`${directory} holds files the registry would refuse; rename or remove them:\n  ${problems.join("\n  ")}`);
  return files;
}

/** What an entry that is neither a file, a directory nor a link is. */
const kindOfNonFile = (entry: Dirent | Stats): string =>
  entry.isFIFO() ? "a named pipe (FIFO)" : entry.isSocket() ? "a socket" : "a device";

/**
 * A link to a file inside the directory is pushed as that file; a link out of it, to a directory, or to nothing, is
 * skipped, saying so; a link to an entry that is no file is refused with such entries.
 */
async function followLink(
  root: string,
  { path, absolute }: { path: string; absolute: string },
  found: { files: LocalFile[]; notFiles: string[] },
  onNotice?: (message: string) => void,
): Promise<void> {
  const target = await realpath(absolute).catch(() => undefined);
  const info = target === undefined ? undefined : await stat(target);
  if (target === undefined || info === undefined)
    onNotice?.(`Skipping ${path}: a link to nothing (its target is missing, or a loop of links).`);
  else if (!target.startsWith(root + sep)) onNotice?.(`Skipping ${path}: a link that points out of the directory.`);
  else if (info.isDirectory()) onNotice?.(`Skipping ${path}: a link to a directory is not followed.`);
  else if (!info.isFile()) found.notFiles.push(`'${path}': a link to ${kindOfNonFile(info)}`);
  else found.files.push({ path, absolute, sizeBytes: info.size, mtimeMs: info.mtimeMs });
}

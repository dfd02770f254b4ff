import { createHash } from "node:crypto";
import { open, stat, type FileHandle } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type * as z from "../shared/zod";
import type { registerVersionBody } from "../shared/schemas/version";
import { MAX_PART_URLS_PER_REQUEST, type PartDigest } from "../shared/schemas/artifact";
import { DEFAULT_VERIFY_ASSURED_MIBPS, MiB } from "../shared/domain/artifacts";
import { VERIFICATION_STALLED_AFTER_MS } from "../shared/functions";
import { IntegrityError, RegistryApiError, UsageError, VerificationPendingError } from "./errors";
import { modelName } from "../shared/schemas/common";
import {
  defaultJournalDirectory,
  journalMismatch,
  journalPath,
  trustedEntry,
  UploadJournal,
  type DonePart,
  type PushIdentity,
} from "./journal";
import { hashListedFile, partRange, planParts, type FileDigests, type PartPlan } from "./parts";
import { ExpiredUrlError, sendPresigned, type PresignedRequest } from "./presigned";
import { isTransient, withRetries } from "./retry";
import type { RegistryClient, RequestOf, ResponseOf, Transport } from "./sdk";

/** Everything a registration takes besides the bytes: metrics, params, tags, lineage, semver or bump… */
export type VersionMetadataInput = Omit<z.input<typeof registerVersionBody>, "artifact" | "source">;
export type VersionView = ResponseOf<"getVersion">;
export type UploadView = ResponseOf<"requestPartUrls">;
export type MultipartUploadView = Extract<UploadView, { method: "MULTIPART" }>;

export interface PushOptions extends VerificationWait {
  readonly file: string;
  readonly model: string;
  readonly metadata?: VersionMetadataInput;
  /** Default: the file's base name. */
  readonly filename?: string;
  readonly contentType?: string;
  /** Default: the registry's choice (docs/artifacts.md). */
  readonly partSizeBytes?: number;
  /** Parts in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Part URLs asked for per request (the registry answers at most 64). Default: twice the concurrency, fetched ahead of the workers. */
  readonly partUrlsPerRequest?: number;
  readonly onProgress?: (progress: PushProgress) => void;
  /** What people should hear of: a push resumed, a resume journal discarded. The SDK never prints. */
  readonly onNotice?: (message: string) => void;
  /** Where resume journals live. Default: the user cache directory (client/journal.ts). */
  readonly journalDirectory?: string;
}

export interface PushProgress {
  /** While `verifying`, bytes and parts are the registry's: the bytes it hashed, the files it verified. */
  readonly phase: "hashing" | "registering" | "uploading" | "completing" | "verifying";
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly partsDone: number;
  readonly partsTotal: number;
}

export interface PushResult {
  readonly version: VersionView;
  /** False when the registry already held these bytes, verified: nothing was sent. */
  readonly uploaded: boolean;
  /** Parts sent by this push; parts an interrupted push had sent already are `resumedParts`. */
  readonly partsUploaded: number;
  readonly bytesUploaded: number;
  readonly resumedParts: number;
}

const DEFAULT_CONCURRENCY = 8;
/**
 * Part URLs asked for at a time, per worker: small batches, fetched ahead, keep every worker
 * busy; the registry signs each URL, so a batch of the most it answers would hold every worker up while it signs.
 */
const URL_BATCHES_PER_WORKER = 2;
/** A URL this close to its expiry is not started with: a part PUT may take that long. */
const URL_EXPIRY_MARGIN_MS = 60_000;

/**
 * Uploads a file as a new version of `model`:
 * 1. plan the parts as the registry does, then one read of the file hashes it whole and per part;
 * 2. trust a resume journal of an interrupted push only if it is of this very file and registration;
 * 3. register the version with its digests (and the first parts' digests, which get URLs), unless
 *    the journal names it already; no upload when the registry already holds these bytes, verified;
 * 4. PUT the parts the journal does not list as done, in parallel, retrying, asking for fresh URLs
 *    when S3 refuses one (403), each done part written to the journal;
 * 5. complete, then wait for the registry's verification (polling the version with backoff) to end
 *    READY; if the bytes or the multipart upload vanished meanwhile (`uploadLost`), restart the upload once.
 */
export async function push(client: RegistryClient, options: PushOptions): Promise<PushResult> {
  assertModelName(options.model);
  const file = resolve(options.file);
  const { size, mtimeMs } = await stat(file);
  const plan = planParts(size, options.partSizeBytes);
  const report = progressReporter(options.onProgress, size, plan.partCount);
  report("hashing", 0, 0);
  let hashed = 0;
  const digests = await hashListedFile(file, { sizeBytes: size, mtimeMs }, plan, (bytes) => report("hashing", (hashed += bytes), 0));
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const batchSize = Math.min(options.partUrlsPerRequest ?? URL_BATCHES_PER_WORKER * concurrency, MAX_PART_URLS_PER_REQUEST);
  const body = registrationBody(options, digests, plan, batchSize);
  const identity: PushIdentity = {
    registry: client.transport.url.href,
    model: options.model,
    file,
    sizeBytes: size,
    mtimeMs,
    sha256: digests.sha256,
    partSizeBytes: plan.partSizeBytes,
    partCount: plan.partCount,
    registrationSha256: fingerprint(body),
  };
  const journal = await openJournal(identity, options);
  const name = options.model;
  const signal = options.signal;
  const target: UploadTarget = {
    client,
    transport: client.transport,
    name,
    file,
    plan,
    digests,
    batchSize,
    concurrency,
    report,
    journal,
    parts: journal,
    sent: { parts: 0, bytes: 0 },
    signal,
    // The upload plan signs a fresh URL and changes nothing: restarting would be a write on the model.
    freshPut: async () => {
      const v = journal.version as number;
      const [planned] = (await client.listUploads({ name, v, query: { limit: 1 } }, { signal })).uploads;
      if (planned?.upload?.method !== "PUT") throw new IntegrityError(`Version ${v} of ${name} no longer expects a single PUT.`);
      return planned.upload;
    },
    partUrls: (parts) => multipartUrls(client, name, journal.version as number, { parts }, signal),
  };

  report("registering", 0, 0);
  const started = await registerOrResume(target, body, options.onNotice);
  const resumedParts = journal.doneParts.length;
  if ("ready" in started) {
    await journal.remove();
    return { version: started.ready, uploaded: started.uploaded, partsUploaded: 0, bytesUploaded: 0, resumedParts };
  }
  let completed: VersionView;
  try {
    // An earlier push of this file completed, and was interrupted while the registry verified: wait for that verification.
    completed = await verified(
      client,
      report,
      "verifying" in started ? started.verifying : await uploadAndComplete(target, started.upload),
      options,
    );
  } catch (error) {
    if (!uploadLost(error)) throw error;
    // The bytes, or the multipart upload, went away under us (docs/artifacts.md): a fresh upload of the same declaration.
    const restarted = await client.restartUpload(
      { name: options.model, v: journal.version as number, body: { parts: firstParts(target) } },
      { signal: options.signal },
    );
    await journal.restarted();
    completed =
      restarted.upload === null
        ? stripUpload(restarted)
        : await verified(client, report, await uploadAndComplete(target, restarted.upload), options);
  }
  await journal.remove();
  if (completed.status === "FAILED")
    throw new IntegrityError(
      `The registry verified version ${completed.version} of ${completed.model} and refused its bytes: ${completed.artifact?.failureReason ?? "no reason given"}. Did the file change during the upload?`,
    );
  return { version: completed, uploaded: true, partsUploaded: target.sent.parts, bytesUploaded: target.sent.bytes, resumedParts };
}

type RegistrationBody = RequestOf<"registerVersion">["body"];

/**
 * What a fresh upload mends: the bytes deleted under us (409 UploadConflict, or the version waiting
 * for them again), or the multipart upload S3 no longer holds (aborted by the bucket's lifecycle
 * rule after days, or replaced by another push's restart): a part PUT answers NoSuchUpload, the
 * completion S3's refusal of the journal's parts (UploadIncomplete with S3's code).
 */
export function uploadLost(error: unknown): boolean {
  if (error instanceof BytesRemoved) return true;
  if (!(error instanceof RegistryApiError)) return false;
  const refusedByS3 = error.code === "UploadIncomplete" && (error.details as { s3Code?: unknown } | undefined)?.s3Code !== undefined;
  return error.code === "UploadConflict" || error.code === "NoSuchUpload" || refusedByS3;
}

/** A name the registry would refuse is refused before the bytes are read: hashing a large file takes minutes. */
export function assertModelName(model: string): void {
  const problem = modelName.safeParse(model).error?.issues[0]?.message;
  if (problem) throw new UsageError(`'${model}' is not a model name: ${problem}.`);
}

/** What makes two registrations the same push: everything but the part digests sent along (those follow from the file and the concurrency). */
export function fingerprint(body: RegistrationBody): string {
  const { parts: _parts, ...artifact } = body.artifact ?? {};
  return createHash("sha256")
    .update(JSON.stringify({ ...body, artifact }))
    .digest("hex");
}

function registrationBody(options: PushOptions, digests: FileDigests, plan: PartPlan, batchSize: number): RegistrationBody {
  return {
    ...options.metadata,
    artifact: {
      filename: options.filename ?? basename(options.file),
      sizeBytes: digests.sizeBytes,
      sha256: digests.sha256,
      contentType: options.contentType,
      partSizeBytes: options.partSizeBytes,
      parts: plan.method === "MULTIPART" ? digests.parts.slice(0, batchSize) : undefined,
    },
  };
}

/** The journal of an interrupted push of exactly this, or a fresh one; one that does not fit is discarded, saying why. */
async function openJournal(identity: PushIdentity, options: PushOptions): Promise<UploadJournal> {
  const path = journalPath(options.journalDirectory ?? defaultJournalDirectory(), identity);
  const mismatch = (stored: Parameters<typeof journalMismatch>[0]) => journalMismatch(stored, identity);
  return UploadJournal.start(path, identity, await trustedEntry(path, UploadJournal.read, mismatch, identity.file, options.onNotice));
}

type Started =
  | { readonly ready: VersionView; readonly uploaded: boolean }
  | { readonly verifying: VersionView }
  | { readonly upload: UploadView | undefined };

/**
 * The version this push uploads to: the journal's, if it still awaits its bytes (none in hand:
 * the workers ask for URLs); else a registration, sent with the journal's idempotency key so that
 * one interrupted before its answer was saved gets the same version again.
 */
async function registerOrResume(target: UploadTarget, body: RegistrationBody, onNotice: PushOptions["onNotice"]): Promise<Started> {
  const { client, name, journal, signal } = target;
  const ours = (version: VersionView) => version.artifact?.sha256 === target.digests.sha256;
  const current = await continuedVersion(client, name, journal, { subject: target.file, ours, onNotice, signal });
  if (current?.status === "READY") return { ready: current, uploaded: true };
  if (current?.status === "VERIFYING") return { verifying: current };
  if (current?.status === "PENDING_UPLOAD") {
    onNotice?.(
      `Resuming the push of ${target.file} to version ${current.version} of ${name}: ${journal.doneParts.length} of ${target.plan.partCount} part(s) already uploaded.`,
    );
    return { upload: undefined };
  }
  const registered = await client.registerVersion({ name, body }, { signal, idempotencyKey: journal.idempotencyKey });
  await journal.registered(registered.version);
  const { upload, warnings: _warnings, ...version } = registered;
  return upload === null ? { ready: version, uploaded: false } : { upload };
}

/** A journal's registration: the version it names, and how to forget it. */
export interface RegisteredJournal {
  readonly version: number | undefined;
  startOver(): Promise<void>;
}

/**
 * The version the journal of an interrupted push names, as it stands now, when the push can go on
 * with it: PENDING_UPLOAD (upload what is missing), VERIFYING (completed again, then waited for) or READY and `ours` (done).
 * Otherwise (deleted, FAILED, or other bytes) undefined: the journal starts over, saying why.
 */
export async function continuedVersion(
  client: RegistryClient,
  name: string,
  journal: RegisteredJournal,
  how: { subject: string; ours: (version: VersionView) => boolean; onNotice?: (message: string) => void; signal?: AbortSignal },
): Promise<VersionView | undefined> {
  const v = journal.version;
  if (v === undefined) return undefined;
  const current = await client.getVersion({ name, v }, { signal: how.signal }).catch((error: unknown) => {
    if (error instanceof RegistryApiError && error.status === 404) return undefined;
    throw error;
  });
  const earlier = `Version ${v} of ${name}, which an earlier push of ${how.subject} started,`;
  if (current?.status === "PENDING_UPLOAD") return current;
  if (current?.status === "VERIFYING" || (current?.status === "READY" && how.ours(current))) {
    how.onNotice?.(
      `${earlier} is ${current.status}: ${current.status === "READY" ? "nothing left to upload" : "waiting for its verification"}.`,
    );
    // Completing again changes nothing, but sends again the tasks of a verification that stalled (lost or dead-lettered).
    return current.status === "VERIFYING" ? client.completeUpload({ name, v }, { signal: how.signal }) : current;
  }
  how.onNotice?.(`${earlier} is ${current?.status ?? "gone"}: registering a new version.`);
  await journal.startOver();
  return undefined;
}

/** Where one file's parts are recorded as S3 takes them: a push's journal, or a directory push's for one of its files. */
export interface PartLog {
  readonly doneParts: readonly DonePart[];
  partDone(part: DonePart): Promise<void>;
}

/** One file on its way to S3: how it was planned and hashed, where its parts are recorded, and how to get fresh URLs for it. */
export interface FileSend {
  readonly transport: Transport;
  readonly file: string;
  readonly plan: PartPlan;
  readonly digests: FileDigests;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly report: Reporter;
  readonly parts: PartLog;
  /** What this push has PUT so far. */
  readonly sent: { parts: number; bytes: number };
  readonly signal?: AbortSignal;
  /** A fresh single-PUT URL, when S3 refused the one in hand. */
  readonly freshPut: () => Promise<PresignedRequest>;
  /** Fresh URLs for these parts of a multipart upload. */
  readonly partUrls: (parts: PartDigest[]) => Promise<MultipartUploadView>;
}

interface UploadTarget extends FileSend {
  readonly client: RegistryClient;
  readonly name: string;
  /** Knows the version once registered, and the parts done. */
  readonly journal: UploadJournal;
}

const versionOf = (target: UploadTarget): number => target.journal.version as number;

/** Part URLs from …/artifact/parts; an answer that is no multipart upload means the version changed under us. */
export async function multipartUrls(
  client: RegistryClient,
  name: string,
  v: number,
  body: RequestOf<"requestPartUrls">["body"],
  signal?: AbortSignal,
): Promise<MultipartUploadView> {
  const upload = await client.requestPartUrls({ name, v, body }, { signal });
  if (upload.method !== "MULTIPART") throw new IntegrityError(`Version ${v} of ${name} no longer expects a multipart upload.`);
  return upload;
}

/** Uploads what is missing and completes; `upload` is what the registration answered, if this push registered. */
async function uploadAndComplete(target: UploadTarget, upload: UploadView | undefined): Promise<VersionView> {
  const { client, name, signal } = target;
  const v = versionOf(target);
  const file = await open(target.file, "r");
  try {
    if (target.plan.method === "PUT") {
      await putSingle(target, file, upload?.method === "PUT" ? upload : await target.freshPut());
      target.report("completing", target.digests.sizeBytes, 1);
      return await client.completeUpload({ name, v }, { signal });
    }
    const parts = await putParts(target, file, upload?.method === "MULTIPART" ? upload : undefined);
    target.report("completing", target.digests.sizeBytes, target.plan.partCount);
    return await client.completeUpload({ name, v, body: { parts } }, { signal });
  } finally {
    await file.close();
  }
}

/** Polling a VERIFYING version: the first wait, and the longest (the verifier saves progress every few seconds). */
const VERIFY_POLL_FIRST_MS = 250;
const VERIFY_POLL_MAX_MS = 5_000;
/** A rate every verification task reaches (the registry's `VERIFY_ASSURED_MIBPS` default, docs/artifacts.md). */
const VERIFY_ASSURED_BYTES_PER_MS = (DEFAULT_VERIFY_ASSURED_MIBPS * MiB) / 1000;
/** Beyond the hashing itself: a task waiting its turn in the queue, a verifier starting. */
const VERIFY_STALL_MARGIN_MS = 5 * 60_000;

/** How long a push waits for the registry's verification. */
export interface VerificationWait {
  /**
   * How long the verification may go without moving (no more bytes or files verified) before the
   * push stops with a `VerificationPendingError`. Default: the bytes still to verify at the rate
   * every task reaches, plus 5 minutes, at most 16 minutes.
   */
  readonly verificationStallMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The registry's verification of `completed`, waited for: the version once it is no longer
 * VERIFYING. Time is counted in the waits between polls, so an injected `sleep` runs it at once.
 */
export async function verified(
  client: RegistryClient,
  report: Reporter,
  completed: VersionView,
  { verificationStallMs, signal }: VerificationWait,
): Promise<VersionView> {
  let current = completed;
  let stalledMs = 0;
  for (let wait = VERIFY_POLL_FIRST_MS; current.status === "VERIFYING"; wait = Math.min(wait * 2, VERIFY_POLL_MAX_MS)) {
    report("verifying", current.verification?.bytesVerified ?? 0, current.verification?.filesVerified ?? 0);
    const patienceMs = verificationStallMs ?? defaultStallMs(current);
    if (stalledMs >= patienceMs) throw verificationPending(current, patienceMs);
    await client.transport.retry.sleep(wait);
    signal?.throwIfAborted();
    const next = await client.getVersion({ name: current.model, v: current.version }, { signal });
    stalledMs = verificationMoved(current, next) ? 0 : stalledMs + wait;
    current = next;
  }
  if (current.status === "PENDING_UPLOAD") throw new BytesRemoved(current.artifact?.failureReason);
  return current;
}

/** The longest a working verifier leaves a version's progress unmoved: hashing the bytes left in one go, after its turn in the queue. */
function defaultStallMs(version: VersionView): number {
  const progress = version.verification;
  const bytesLeft = progress ? progress.bytesTotal - progress.bytesVerified : 0;
  return Math.min(VERIFY_STALL_MARGIN_MS + bytesLeft / VERIFY_ASSURED_BYTES_PER_MS, VERIFICATION_STALLED_AFTER_MS);
}

const verificationMoved = (before: VersionView, after: VersionView): boolean =>
  (after.verification?.bytesVerified ?? 0) > (before.verification?.bytesVerified ?? 0) ||
  (after.verification?.filesVerified ?? 0) > (before.verification?.filesVerified ?? 0);

function verificationPending(version: VersionView, patienceMs: number): VerificationPendingError {
  const progress = version.verification;
  const done = progress
    ? ` (${progress.bytesVerified} of ${progress.bytesTotal} bytes, ${progress.filesVerified} of ${progress.filesTotal} file(s) verified)`
    : "";
  return new VerificationPendingError(
    `Version ${version.version} of ${version.model} is still VERIFYING: its verification has not moved for ${Math.round(patienceMs / 1000)} s${done}. The version stays registered and is verified when its verification tasks run.`,
    version.model,
    version.version,
  );
}

/** The registry verified nothing: the stored bytes were removed while it hashed them, and the version waits for them again. */
export class BytesRemoved extends Error {}

/** One PUT of the whole file; 412 (an object already stored at this content address) means its bytes are there. */
export async function putSingle(target: FileSend, file: FileHandle, first: PresignedRequest): Promise<void> {
  const bytes = await readRange(file, 0, target.digests.sizeBytes);
  let request = first;
  target.report("uploading", 0, 0);
  await withRetries(target.transport.retry, isRetryableUpload, async () => {
    try {
      await sendPresigned(target.transport, request, { method: "PUT", body: bytes, signal: target.signal });
    } catch (error) {
      // 412: the URL's If-None-Match met an object already stored under this content address: the bytes are there.
      if (error instanceof RegistryApiError && error.status === 412) return;
      if (error instanceof ExpiredUrlError) request = await target.freshPut();
      throw error;
    }
  });
  target.sent.parts = 1;
  target.sent.bytes = bytes.length;
  target.report("uploading", target.digests.sizeBytes, 1);
}

/**
 * PUTs every part the log does not list as done, `concurrency` at a time, recording each in
 * the log; answers all the ETags for completion, in part order.
 */
export async function putParts(target: FileSend, file: FileHandle, upload: MultipartUploadView | undefined): Promise<DonePart[]> {
  const etags: DonePart[] = [...target.parts.doneParts];
  const done = new Set(etags.map((part) => part.partNumber));
  const missing = target.digests.parts.map((part) => part.partNumber).filter((n) => !done.has(n));
  const urls = new PartUrls(target, upload, done);
  let next = 0;
  let bytesDone = etags.reduce((sum, { partNumber }) => sum + partSize(target, partNumber), 0);
  target.report("uploading", bytesDone, etags.length);
  const worker = async () => {
    for (let partNumber = missing[next++]; partNumber !== undefined; partNumber = missing[next++]) {
      const { start, end } = partRange(target.plan, target.digests.sizeBytes, partNumber);
      const bytes = await readRange(file, start, end - start);
      const etag = await withRetries(target.transport.retry, isRetryableUpload, async () => {
        try {
          const response = await sendPresigned(target.transport, await urls.get(partNumber), {
            method: "PUT",
            body: bytes,
            signal: target.signal,
          });
          return response.headers.get("etag") ?? "";
        } catch (error) {
          if (error instanceof ExpiredUrlError) urls.forget(partNumber);
          throw error;
        }
      });
      urls.done(partNumber);
      etags.push({ partNumber, etag });
      await target.parts.partDone({ partNumber, etag });
      target.sent.parts += 1;
      target.sent.bytes += bytes.length;
      target.report("uploading", (bytesDone += bytes.length), etags.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(target.concurrency, missing.length)) }, worker));
  return etags.sort((a, b) => a.partNumber - b.partNumber);
}

function partSize(target: FileSend, partNumber: number): number {
  const { start, end } = partRange(target.plan, target.digests.sizeBytes, partNumber);
  return end - start;
}

const isRetryableUpload = (error: unknown): boolean => error instanceof ExpiredUrlError || isTransient(error);

const firstParts = (target: FileSend): PartDigest[] => target.digests.parts.slice(0, target.batchSize);

/**
 * The part URLs of one multipart upload: those the registration answered, then batches from the
 * parts route (each URL signs its part's digest) as the workers reach parts without a fresh one.
 */
class PartUrls {
  private readonly urls = new Map<number, Promise<{ request: PresignedRequest; expiresAt: number }>>();
  private readonly finished: Set<number>;

  constructor(
    private readonly target: FileSend,
    upload: MultipartUploadView | undefined,
    finished: Iterable<number>,
  ) {
    this.finished = new Set(finished);
    if (upload) this.remember(upload);
  }

  async get(partNumber: number): Promise<PresignedRequest> {
    this.prefetch(partNumber + this.target.concurrency);
    const cached = this.urls.get(partNumber);
    const url = cached && (await cached.catch(() => undefined));
    if (url && url.expiresAt - URL_EXPIRY_MARGIN_MS > Date.now()) return url.request;
    this.requestBatchFrom(partNumber);
    return (await (this.urls.get(partNumber) as NonNullable<typeof cached>)).request;
  }

  forget(partNumber: number): void {
    this.urls.delete(partNumber);
  }

  done(partNumber: number): void {
    this.finished.add(partNumber);
    this.urls.delete(partNumber);
  }

  /** Asks for the next batch while the workers still have URLs in hand: none waits for a batch to be signed. */
  private prefetch(partNumber: number): void {
    if (partNumber > this.target.plan.partCount || this.urls.has(partNumber) || this.finished.has(partNumber)) return;
    this.requestBatchFrom(partNumber);
  }

  private remember(upload: MultipartUploadView): void {
    const expiresAt = Date.parse(upload.expiresAt);
    for (const part of upload.parts) this.urls.set(part.partNumber, Promise.resolve({ request: part, expiresAt }));
  }

  /** One request for this part and the following ones that have neither a URL on the way nor an upload done. */
  private requestBatchFrom(partNumber: number): void {
    const { digests, batchSize } = this.target;
    const wanted = digests.parts
      .filter(
        (p) =>
          p.partNumber === partNumber || (p.partNumber > partNumber && !this.finished.has(p.partNumber) && !this.urls.has(p.partNumber)),
      )
      .slice(0, batchSize);
    const answer = this.target.partUrls(wanted);
    for (const { partNumber: n } of wanted) {
      const url = answer.then((upload) => {
        const part = upload.parts.find((p) => p.partNumber === n);
        if (!part) throw new IntegrityError(`The registry answered no URL for part ${n}.`);
        return { request: part, expiresAt: Date.parse(upload.expiresAt) };
      });
      // A failed batch is asked for again by the next get(); no unhandled rejection meanwhile.
      url.catch(() => this.urls.get(n) === url && this.urls.delete(n));
      this.urls.set(n, url);
    }
  }
}

async function readRange(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  for (let filled = 0; filled < length; ) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0)
      throw new IntegrityError(
        `The file ended at byte ${position + filled}, before the ${position + length} it had when hashed: did it change?`,
      );
    filled += bytesRead;
  }
  return buffer;
}

export type Reporter = (phase: PushProgress["phase"], bytesDone: number, partsDone: number) => void;

function progressReporter(onProgress: PushOptions["onProgress"], bytesTotal: number, partsTotal: number): Reporter {
  return (phase, bytesDone, partsDone) => onProgress?.({ phase, bytesDone, bytesTotal, partsDone, partsTotal });
}

function stripUpload(view: ResponseOf<"restartUpload">): VersionView {
  const { upload: _upload, warnings: _warnings, ...version } = view;
  return version;
}

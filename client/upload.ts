import { open, stat, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import type * as z from "../shared/zod";
import type { registerVersionBody } from "../shared/schemas/version";
import type { PartDigest } from "../shared/schemas/artifact";
import { IntegrityError, RegistryApiError } from "./errors";
import { hashFile, partRange, planParts, type FileDigests, type PartPlan } from "./parts";
import { ExpiredUrlError, sendPresigned, type PresignedRequest } from "./presigned";
import { isTransient, withRetries } from "./retry";
import type { RegistryClient, ResponseOf } from "./sdk";

/** Everything a registration takes besides the bytes: metrics, params, tags, lineage, semver or bump… */
export type VersionMetadataInput = Omit<z.input<typeof registerVersionBody>, "artifact" | "source">;
export type VersionView = ResponseOf<"getVersion">;
type UploadView = ResponseOf<"requestPartUrls">;
type MultipartUploadView = Extract<UploadView, { method: "MULTIPART" }>;

export interface PushOptions {
  readonly file: string;
  readonly model: string;
  readonly metadata?: VersionMetadataInput;
  /** Default: the file's base name. */
  readonly filename?: string;
  readonly contentType?: string;
  /** Default: the registry's choice (README, Artifacts). */
  readonly partSizeBytes?: number;
  /** Parts in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Part URLs asked for per request (the registry answers at most 250). */
  readonly partUrlsPerRequest?: number;
  readonly onProgress?: (progress: PushProgress) => void;
  readonly signal?: AbortSignal;
}

export interface PushProgress {
  readonly phase: "hashing" | "registering" | "uploading" | "completing";
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly partsDone: number;
  readonly partsTotal: number;
}

export interface PushResult {
  readonly version: VersionView;
  /** False when the registry already held these bytes, verified: nothing was sent. */
  readonly uploaded: boolean;
  readonly partsUploaded: number;
  readonly bytesUploaded: number;
}

const DEFAULT_CONCURRENCY = 8;
const MAX_PART_URLS_PER_REQUEST = 250;
/** A URL this close to its expiry is not started with: a part PUT may take that long. */
const URL_EXPIRY_MARGIN_MS = 60_000;

/**
 * Uploads a file as a new version of `model`:
 * 1. plan the parts as the registry does, then one read of the file hashes it whole and per part;
 * 2. register the version with its digests (and the first parts' digests, which get URLs);
 * 3. no upload when the registry already holds these bytes, verified;
 * 4. PUT the parts in parallel, retrying, asking for fresh URLs when S3 refuses one (403);
 * 5. complete, which verifies; if the bytes vanished meanwhile (409 UploadConflict), restart the upload once.
 */
export async function push(client: RegistryClient, options: PushOptions): Promise<PushResult> {
  const { size } = await stat(options.file);
  const plan = planParts(size, options.partSizeBytes);
  const report = progressReporter(options.onProgress, size, plan.partCount);
  report("hashing", 0, 0);
  let hashed = 0;
  const digests = await hashFile(options.file, plan, (bytes) => report("hashing", (hashed += bytes), 0));
  const batchSize = Math.min(options.partUrlsPerRequest ?? MAX_PART_URLS_PER_REQUEST, MAX_PART_URLS_PER_REQUEST);

  report("registering", 0, 0);
  const registered = await client.registerVersion(
    {
      name: options.model,
      body: {
        ...options.metadata,
        artifact: {
          filename: options.filename ?? basename(options.file),
          sizeBytes: digests.sizeBytes,
          sha256: digests.sha256,
          contentType: options.contentType,
          partSizeBytes: options.partSizeBytes,
          parts: plan.method === "MULTIPART" ? digests.parts.slice(0, batchSize) : undefined,
        },
      },
    },
    { signal: options.signal },
  );
  const { upload, warnings: _warnings, ...version } = registered;
  if (upload === null) return { version, uploaded: false, partsUploaded: 0, bytesUploaded: 0 };

  const target = { client, name: options.model, version: registered.version, file: options.file, plan, digests, batchSize, concurrency: options.concurrency ?? DEFAULT_CONCURRENCY, report, signal: options.signal };
  let completed: VersionView;
  try {
    completed = await uploadAndComplete(target, upload);
  } catch (error) {
    if (!(error instanceof RegistryApiError && error.code === "UploadConflict")) throw error;
    // The bytes were deleted under us (README, Artifacts): a fresh upload of the same declaration.
    const restarted = await client.restartUpload({ name: options.model, v: registered.version, body: { parts: firstParts(target) } }, { signal: options.signal });
    if (restarted.upload === null) return { version: stripUpload(restarted), uploaded: true, partsUploaded: plan.partCount, bytesUploaded: size };
    completed = await uploadAndComplete(target, restarted.upload);
  }
  if (completed.status === "FAILED") throw new IntegrityError(`The registry verified version ${completed.version} of ${completed.model} and refused its bytes: ${completed.artifact?.failureReason ?? "no reason given"}. Did the file change during the upload?`);
  return { version: completed, uploaded: true, partsUploaded: plan.partCount, bytesUploaded: size };
}

interface UploadTarget {
  readonly client: RegistryClient;
  readonly name: string;
  readonly version: number;
  readonly file: string;
  readonly plan: PartPlan;
  readonly digests: FileDigests;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly report: Reporter;
  readonly signal?: AbortSignal;
}

async function uploadAndComplete(target: UploadTarget, upload: UploadView): Promise<VersionView> {
  const { client, name, version, signal } = target;
  const file = await open(target.file, "r");
  try {
    if (upload.method === "PUT") {
      await putSingle(target, file, upload);
      target.report("completing", target.digests.sizeBytes, 1);
      return await client.completeUpload({ name, v: version }, { signal });
    }
    const parts = await putParts(target, file, upload);
    target.report("completing", target.digests.sizeBytes, target.plan.partCount);
    return await client.completeUpload({ name, v: version, body: { parts } }, { signal });
  } finally {
    await file.close();
  }
}

async function putSingle(target: UploadTarget, file: FileHandle, first: PresignedRequest): Promise<void> {
  const bytes = await readRange(file, 0, target.digests.sizeBytes);
  let request = first;
  target.report("uploading", 0, 0);
  await withRetries(target.client.transport.retry, isRetryableUpload, async () => {
    try {
      await sendPresigned(target.client.transport, request, { method: "PUT", body: bytes, signal: target.signal });
    } catch (error) {
      // 412: the URL's If-None-Match met an object already stored under this content address: the bytes are there.
      if (error instanceof RegistryApiError && error.status === 412) return;
      if (error instanceof ExpiredUrlError) request = await freshSingleUrl(target);
      throw error;
    }
  });
  target.report("uploading", target.digests.sizeBytes, 1);
}

async function freshSingleUrl(target: UploadTarget): Promise<PresignedRequest> {
  const restarted = await target.client.restartUpload({ name: target.name, v: target.version }, { signal: target.signal });
  if (restarted.upload?.method !== "PUT") throw new IntegrityError(`Version ${target.version} of ${target.name} no longer expects a single PUT.`);
  return restarted.upload;
}

/** Every part PUT, `concurrency` at a time; answers the ETags for completion, in part order. */
async function putParts(target: UploadTarget, file: FileHandle, upload: MultipartUploadView): Promise<{ partNumber: number; etag: string }[]> {
  const urls = new PartUrls(target, upload);
  const etags: { partNumber: number; etag: string }[] = [];
  let next = 1;
  let bytesDone = 0;
  target.report("uploading", 0, 0);
  const worker = async () => {
    for (let partNumber = next++; partNumber <= target.plan.partCount; partNumber = next++) {
      const { start, end } = partRange(target.plan, target.digests.sizeBytes, partNumber);
      const bytes = await readRange(file, start, end - start);
      const etag = await withRetries(target.client.transport.retry, isRetryableUpload, async () => {
        try {
          const response = await sendPresigned(target.client.transport, await urls.get(partNumber), { method: "PUT", body: bytes, signal: target.signal });
          return response.headers.get("etag") ?? "";
        } catch (error) {
          if (error instanceof ExpiredUrlError) urls.forget(partNumber);
          throw error;
        }
      });
      urls.done(partNumber);
      etags.push({ partNumber, etag });
      target.report("uploading", (bytesDone += bytes.length), etags.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(target.concurrency, target.plan.partCount) }, worker));
  return etags.sort((a, b) => a.partNumber - b.partNumber);
}

const isRetryableUpload = (error: unknown): boolean => error instanceof ExpiredUrlError || isTransient(error);

const firstParts = (target: UploadTarget): PartDigest[] => target.digests.parts.slice(0, target.batchSize);

/**
 * The part URLs of one multipart upload: those the registration answered, then batches from the
 * parts route (each URL signs its part's digest) as the workers reach parts without a fresh one.
 */
class PartUrls {
  private readonly urls = new Map<number, Promise<{ request: PresignedRequest; expiresAt: number }>>();
  private readonly finished = new Set<number>();

  constructor(
    private readonly target: UploadTarget,
    upload: MultipartUploadView,
  ) {
    this.remember(upload);
  }

  async get(partNumber: number): Promise<PresignedRequest> {
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

  private remember(upload: MultipartUploadView): void {
    const expiresAt = Date.parse(upload.expiresAt);
    for (const part of upload.parts) this.urls.set(part.partNumber, Promise.resolve({ request: part, expiresAt }));
  }

  /** One request for this part and the following ones that have neither a URL on the way nor an upload done. */
  private requestBatchFrom(partNumber: number): void {
    const { digests, batchSize, client, name, version, signal } = this.target;
    const wanted = digests.parts.filter((p) => p.partNumber === partNumber || (p.partNumber > partNumber && !this.finished.has(p.partNumber) && !this.urls.has(p.partNumber))).slice(0, batchSize);
    const answer = client.requestPartUrls({ name, v: version, body: { parts: wanted } }, { signal }).then((upload) => {
      if (upload.method !== "MULTIPART") throw new IntegrityError(`Version ${version} of ${name} no longer expects a multipart upload.`);
      return upload;
    });
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
    if (bytesRead === 0) throw new IntegrityError(`The file ended at byte ${position + filled}, before the ${position + length} it had when hashed: did it change?`);
    filled += bytesRead;
  }
  return buffer;
}

type Reporter = (phase: PushProgress["phase"], bytesDone: number, partsDone: number) => void;

function progressReporter(onProgress: PushOptions["onProgress"], bytesTotal: number, partsTotal: number): Reporter {
  return (phase, bytesDone, partsDone) => onProgress?.({ phase, bytesDone, bytesTotal, partsDone, partsTotal });
}

function stripUpload(view: ResponseOf<"restartUpload">): VersionView {
  const { upload: _upload, warnings: _warnings, ...version } = view;
  return version;
}

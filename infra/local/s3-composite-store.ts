import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, open, readFile, readdir, readlink, rename, rm, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";

/**
 * s3rver's FilesystemStore, but a multipart upload is completed the way S3 describes it, without
 * copying or hashing its bytes: the parts are renamed into the object, which reads them in turn.
 * s3rver's own store streams every part through an MD5 into a new file (seconds per GiB), and dies
 * on a part never uploaded (an unhandled read error).
 *
 * CompleteMultipartUpload, as S3 documents it:
 * - parts listed in ascending part-number order, else 400 InvalidPartOrder;
 * - each listed part uploaded with that ETag (quotes aside), else 400 InvalidPart; nothing is
 *   stored and the upload stays open, as in S3;
 * - an upload ID it does not hold (never started, or already completed) is 404 NoSuchUpload, to
 *   UploadPart as to the completion;
 * - the object is the listed parts in order; parts not listed are discarded; its ETag is S3's for
 *   a multipart object: the MD5 of the parts' binary MD5s, then `-<number of parts>`.
 * AbortMultipartUpload (s3rver has none) removes the upload and its parts; an upload ID not open for
 * that key is 404 NoSuchUpload.
 * The object's file is then a symbolic link to the manifest in the directory its parts were
 * renamed into (no PUT makes a link, so no upload can pass for one): GET, HEAD, ranged GET, list,
 * copy and delete read through it. A copy of such an object is a plain object, with its own MD5 as
 * ETag, as S3 gives a copy made in one request.
 * Not done: EntityTooSmall (parts under 5 MiB are taken), composite checksums, and a part's
 * `ChecksumSHA256` in the completion is not compared (the S3 front checked each part's on upload).
 */

interface FilesystemStoreBase {
  getBucketPath(bucket: string): string;
  getBucket(bucket: string): Promise<unknown>;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
  getObject(bucket: string, key: string, options?: RangeOptions): Promise<S3ObjectModel | null>;
  putObject(object: S3ObjectModel): Promise<{ size: number; md5: string }>;
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, unknown> | null,
  ): Promise<Record<string, unknown>>;
  deleteObject(bucket: string, key: string): Promise<void>;
  putObjectMultipart(bucket: string, uploadId: string, parts: readonly ListedPart[]): Promise<{ md5: string; size: number }>;
  putPart(bucket: string, uploadId: string, partNumber: string, content: Readable): Promise<{ size: number; md5: string }>;
  getSubresource(bucket: string, key: string | undefined, resourceType: string): Promise<unknown>;
  putSubresource(bucket: string, key: string | undefined, resource: { readonly type: string }): Promise<void>;
  deleteSubresource(bucket: string, key: string | undefined, resourceType: string): Promise<void>;
  deleteBucket(bucket: string): Promise<void>;
  reset(): void;
}

interface RangeOptions {
  start?: number;
  end?: number;
}

interface S3ObjectModel {
  readonly bucket: string;
  readonly key: string;
  readonly content: Readable | Buffer | null;
  readonly metadata: Record<string, unknown>;
  readonly size: number;
  readonly lastModifiedDate: Date;
  range?: { start: number; end: number };
}

const require = createRequire(import.meta.url);
const FilesystemStore = require("s3rver/lib/stores/filesystem") as new (rootDirectory: string) => FilesystemStoreBase;
const S3Object = require("s3rver/lib/models/object") as new (
  bucket: string,
  key: string,
  content: Readable | Buffer | null,
  metadata: Record<string, unknown>,
) => S3ObjectModel;
const S3Error = require("s3rver/lib/models/error") as new (code: string, message: string, detail?: Record<string, unknown>) => Error;

/** A completed multipart object: its parts, in order, in `directory`. */
interface Composite {
  readonly directory: string;
  readonly etag: string;
  readonly size: number;
  readonly parts: readonly { readonly file: string; readonly size: number }[];
  readonly modified: Date;
}

type Manifest = Omit<Composite, "directory" | "modified">;

/** A part as the completion request lists it: s3rver's controller has already taken the quotes off the ETag. */
interface ListedPart {
  readonly number: number;
  readonly etag: string;
}

/** What s3rver's controller asks a listing for, and what it makes of the answer. */
interface ListOptions {
  readonly delimiter?: string;
  readonly startAfter?: string;
  readonly prefix?: string;
  readonly maxKeys?: number;
}

export interface ListResult {
  readonly objects: readonly S3ObjectModel[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
}

/** The file holding an object's bytes (or, for a composite, the link to its manifest) is named `<key's last segment>._S3rver_object`. */
const OBJECT_SUFFIX = "._S3rver_object";
const MANIFEST = "manifest.json";
const MAX_PART_NUMBER = 10_000;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

export class CompositeFilesystemStore extends FilesystemStore {
  /** A bucket's configurations (CORS, website) as read: s3rver reads both on every request, and only their PUT and DELETE change them. */
  private readonly bucketConfigs = new Map<string, Promise<unknown>>();

  override getSubresource(bucket: string, key: string | undefined, resourceType: string): Promise<unknown> {
    if (key !== undefined) return super.getSubresource(bucket, key, resourceType);
    const id = `${bucket}/${resourceType}`;
    const cached = this.bucketConfigs.get(id);
    if (cached) return cached;
    const read = super.getSubresource(bucket, key, resourceType);
    this.bucketConfigs.set(id, read);
    read.catch(() => this.bucketConfigs.delete(id));
    return read;
  }

  override async putSubresource(bucket: string, key: string | undefined, resource: { readonly type: string }): Promise<void> {
    await super.putSubresource(bucket, key, resource);
    if (key === undefined) this.bucketConfigs.delete(`${bucket}/${resource.type}`);
  }

  override async deleteSubresource(bucket: string, key: string | undefined, resourceType: string): Promise<void> {
    await super.deleteSubresource(bucket, key, resourceType);
    if (key === undefined) this.bucketConfigs.delete(`${bucket}/${resourceType}`);
  }

  override async deleteBucket(bucket: string): Promise<void> {
    await super.deleteBucket(bucket);
    this.bucketConfigs.clear();
  }

  override reset(): void {
    super.reset();
    this.bucketConfigs.clear();
  }

  /** UploadPart, into an upload still open: s3rver's store makes a directory for any upload ID, even a completed one's. */
  override async putPart(bucket: string, uploadId: string, partNumber: string, content: Readable): Promise<{ size: number; md5: string }> {
    await openUpload(join(this.getResourcePath(bucket, undefined, "uploads"), uploadId), uploadId).catch(async (error: unknown) => {
      // Read to its end first: the S3 front, still sending a large part, would take an early answer for a broken connection.
      await finished(content.resume());
      throw error;
    });
    return super.putPart(bucket, uploadId, partNumber, content);
  }

  /**
   * AbortMultipartUpload (s3rver has none), as S3 documents it: the upload's parts are freed, and from
   * then on its UploadPart, completion and abort are 404 NoSuchUpload, as are those of an upload ID
   * never handed out for `key`, or already completed.
   */
  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const uploadDir = join(this.getResourcePath(bucket, undefined, "uploads"), uploadId);
    // An upload ID is 32 hex digits (s3rver's); any other names no upload, and no directory to remove.
    if (!UPLOAD_ID.test(uploadId) || (await openUpload(uploadDir, uploadId)).key !== key) throw noSuchUpload(uploadId);
    // Renamed first, in one step: a completion or another abort racing this one finds no upload.
    const aborted = `${uploadDir}.aborted`;
    await moveUpload(uploadDir, aborted, uploadId);
    await rm(aborted, { recursive: true, force: true });
  }

  override async putObjectMultipart(
    bucket: string,
    uploadId: string,
    listed: readonly ListedPart[],
  ): Promise<{ md5: string; size: number }> {
    const uploadDir = join(this.getResourcePath(bucket, undefined, "uploads"), uploadId);
    const { key, metadata } = await openUpload(uploadDir, uploadId);
    assertAscending(listed);
    const parts = await Promise.all(listed.map((part) => uploadedPart(uploadDir, uploadId, part)));
    const manifest: Manifest = {
      etag: multipartEtag(parts.map((part) => part.md5)),
      size: parts.reduce((sum, part) => sum + part.size, 0),
      parts: parts.map(({ file, size }) => ({ file, size })),
    };
    await discardUnlisted(uploadDir, new Set(parts.map((part) => part.file)));
    await writeFile(join(uploadDir, MANIFEST), JSON.stringify(manifest));

    const objectPath = this.getResourcePath(bucket, key, "object");
    const partsDir = this.getResourcePath(bucket, key, `parts.${uploadId}`);
    await mkdir(dirname(objectPath), { recursive: true });
    await moveUpload(uploadDir, partsDir, uploadId);
    await this.putMetadata(bucket, key, metadata);
    const previous = await this.compositeDirectory(objectPath);
    await replaceWithLink(objectPath, join(basename(partsDir), MANIFEST), uploadId);
    await unlink(`${objectPath}.md5`).catch(ignoreMissing);
    if (previous !== undefined && previous !== partsDir) await rm(previous, { recursive: true, force: true });
    return { md5: manifest.etag, size: manifest.size };
  }

  override async getMetadata(bucket: string, key: string): Promise<Record<string, unknown>> {
    const composite = await this.composite(bucket, key);
    return composite === undefined ? super.getMetadata(bucket, key) : this.compositeMetadata(bucket, key, composite);
  }

  private async compositeMetadata(bucket: string, key: string, composite: Composite): Promise<Record<string, unknown>> {
    const stored = await readFile(this.getResourcePath(bucket, key, "metadata.json"), "utf8").then(JSON.parse, (error) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    return {
      ...stored,
      etag: JSON.stringify(composite.etag),
      "last-modified": composite.modified.toUTCString(),
      "content-length": composite.size,
    };
  }

  /**
   * s3rver's range rules (an end past the object is clamped; a start past it is unsatisfiable), over
   * the parts or the plain object's file. The file is opened on the body's first read: s3rver's HEAD
   * destroys the body unread, so it opens nothing (s3rver's own store opens the file and reads its first 64 KiB).
   */
  override async getObject(bucket: string, key: string, options?: RangeOptions): Promise<S3ObjectModel | null> {
    try {
      const composite = await this.composite(bucket, key);
      const metadata =
        composite === undefined ? await super.getMetadata(bucket, key) : await this.compositeMetadata(bucket, key, composite);
      const size = Number(metadata["content-length"]);
      const lastByte = Math.max(0, size - 1);
      const range = {
        start: rangeBound(options?.start) ?? 0,
        end: Math.min(rangeBound(options?.end) ?? Number.POSITIVE_INFINITY, lastByte),
      };
      const ranged = options?.start !== undefined || options?.end !== undefined;
      // No range of an empty object is satisfiable: it has no first byte.
      const satisfiable = !ranged || (range.start >= 0 && range.start <= range.end && range.start < size);
      const body = () =>
        composite === undefined
          ? openedOnRead(this.getResourcePath(bucket, key, "object"), range)
          : new PartsStream(composite, range.start, range.end);
      const content = satisfiable ? body() : null;
      const object = new S3Object(bucket, key, content, metadata);
      if (ranged) object.range = range;
      return object;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  /**
   * The keys s3rver's controller lists (after `startAfter`, under `prefix`, folded at `delimiter`, at
   * most `maxKeys`), in UTF-8 byte order as S3 lists them, each with its metadata. s3rver's own walk
   * stats every file of every directory it enters (three per object) on the event loop; this reads
   * the directories' entries only, then the listed keys' metadata.
   */
  async listObjects(bucket: string, options: ListOptions): Promise<ListResult> {
    const { delimiter = "", startAfter = "", prefix = "", maxKeys = Number.POSITIVE_INFINITY } = options;
    const after = Buffer.from(startAfter);
    const candidates = (await keysUnder(this.getBucketPath(bucket), "", prefix))
      .filter((key) => key.startsWith(prefix))
      .map((key) => ({ key, bytes: Buffer.from(key) }))
      .filter(({ bytes }) => Buffer.compare(bytes, after) > 0)
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    const commonPrefixes = new Set<string>();
    const keys: string[] = [];
    let isTruncated = false;
    for (const { key } of candidates) {
      const folded = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (folded !== -1) commonPrefixes.add(key.slice(0, folded + delimiter.length));
      else if (keys.length < maxKeys) keys.push(key);
      else {
        isTruncated = true;
        break;
      }
    }
    const metadata = await Promise.all(keys.map((key) => this.listedMetadata(bucket, key)));
    return {
      objects: keys.flatMap((key, i) => (metadata[i] ? [new S3Object(bucket, key, null, metadata[i])] : [])),
      commonPrefixes: [...commonPrefixes].sort(),
      isTruncated,
    };
  }

  /**
   * What a listing shows of an object (size, ETag, last modification), or undefined when it is gone:
   * a plain object's from its file's lstat and stored MD5, without the metadata file getMetadata reads.
   */
  private async listedMetadata(bucket: string, key: string): Promise<Record<string, unknown> | undefined> {
    const objectPath = this.getResourcePath(bucket, key, "object");
    const file = await lstat(objectPath).catch(ignoreMissing);
    const md5 = file?.isFile() ? await readFile(`${objectPath}.md5`, "utf8").catch(ignoreMissing) : undefined;
    if (!file || !md5) return file && this.getMetadata(bucket, key).catch(ignoreMissing);
    return { etag: JSON.stringify(md5), "last-modified": file.mtime.toUTCString(), "content-length": file.size };
  }

  /** A PUT over a composite object replaces the link, not the manifest it points to. */
  override async putObject(object: S3ObjectModel): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, "object");
    const previous = await this.compositeDirectory(objectPath);
    if (previous !== undefined) await unlink(objectPath).catch(ignoreMissing);
    const stored = await super.putObject(object);
    if (previous !== undefined) await rm(previous, { recursive: true, force: true });
    return stored;
  }

  /** A copy of a composite object is a plain object of the same bytes (and metadata, unless replaced). */
  override async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, unknown> | null,
  ): Promise<Record<string, unknown>> {
    const sameObject = this.getResourcePath(srcBucket, srcKey, "object") === this.getResourcePath(destBucket, destKey, "object");
    if (sameObject || (await this.composite(srcBucket, srcKey)) === undefined)
      return super.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata);
    const source = await this.getObject(srcBucket, srcKey);
    if (source === null) throw new S3Error("NoSuchKey", "The specified key does not exist.", { Key: srcKey });
    await this.putObject(new S3Object(destBucket, destKey, source.content, replacementMetadata ?? source.metadata));
    return this.getMetadata(destBucket, destKey);
  }

  override async deleteObject(bucket: string, key: string): Promise<void> {
    const partsDir = await this.compositeDirectory(this.getResourcePath(bucket, key, "object"));
    if (partsDir !== undefined) await rm(partsDir, { recursive: true, force: true });
    await super.deleteObject(bucket, key);
  }

  /** The composite object stored under `key`, or undefined when it is a plain object or none. */
  private async composite(bucket: string, key: string): Promise<Composite | undefined> {
    const objectPath = this.getResourcePath(bucket, key, "object");
    const link = await lstat(objectPath).catch(ignoreMissing);
    if (!link?.isSymbolicLink()) return undefined;
    const target = await readlink(objectPath);
    const manifest = JSON.parse(await readFile(join(dirname(objectPath), target), "utf8")) as Manifest;
    return { ...manifest, directory: join(dirname(objectPath), dirname(target)), modified: link.mtime };
  }

  /** The directory of the composite object at `objectPath`'s parts, or undefined when it is not one. */
  private async compositeDirectory(objectPath: string): Promise<string | undefined> {
    const link = await lstat(objectPath).catch(ignoreMissing);
    if (!link?.isSymbolicLink()) return undefined;
    return join(dirname(objectPath), dirname(await readlink(objectPath)));
  }
}

/** The keys of the objects under `directory` (whose keys start with `relative`), in no order; directories outside `prefix` are not entered. */
async function keysUnder(directory: string, relative: string, prefix: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(ignoreMissing);
  const keys = await Promise.all(
    (entries ?? []).map(async (entry) => {
      if (entry.isDirectory()) {
        const inner = `${relative}${entry.name}/`;
        return inner.startsWith(prefix) || prefix.startsWith(inner) ? keysUnder(join(directory, entry.name), inner, prefix) : [];
      }
      return entry.name.endsWith(OBJECT_SUFFIX) ? [`${relative}${entry.name.slice(0, -OBJECT_SUFFIX.length)}`] : [];
    }),
  );
  return keys.flat();
}

/** Bytes `start`..`end` (inclusive) of a file, opened on the first read: destroyed unread, it never opens. */
const openedOnRead = (path: string, range: { start: number; end: number }): Readable =>
  Readable.from(
    (async function* () {
      yield* createReadStream(path, range);
    })(),
    { objectMode: false },
  );

/**
 * A bound of a Range header as s3rver read it: absent when it is not a number (`bytes=a-b`, several
 * ranges), so that the object is served whole; an end of 0 is the first byte (`bytes=0-0`), not "to the end".
 */
const rangeBound = (bound: number | undefined): number | undefined => (Number.isNaN(bound) ? undefined : bound);

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}

async function openUpload(uploadDir: string, uploadId: string): Promise<{ key: string; metadata: Record<string, unknown> }> {
  try {
    const [key, metadata] = await Promise.all([readFile(join(uploadDir, "key"), "utf8"), readFile(join(uploadDir, "metadata"), "utf8")]);
    return { key, metadata: JSON.parse(metadata) };
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === "ENOENT" ? noSuchUpload(uploadId) : error;
  }
}

/** Moves an upload's directory in one step: when another completion or abort of it moved it first, the upload is gone (NoSuchUpload). */
async function moveUpload(uploadDir: string, to: string, uploadId: string): Promise<void> {
  await rename(uploadDir, to).catch((error: NodeJS.ErrnoException) => {
    throw error.code === "ENOENT" ? noSuchUpload(uploadId) : error;
  });
}

function assertAscending(parts: readonly ListedPart[]): void {
  if (parts.some((part, i) => i > 0 && part.number <= (parts[i - 1] as ListedPart).number))
    throw new S3Error(
      "InvalidPartOrder",
      "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
    );
}

/** The listed part as uploaded: its file, size and MD5, or S3's InvalidPart when there is none with that ETag. */
async function uploadedPart(uploadDir: string, uploadId: string, part: ListedPart): Promise<{ file: string; size: number; md5: string }> {
  const file = String(part.number);
  const found =
    Number.isInteger(part.number) && part.number >= 1 && part.number <= MAX_PART_NUMBER
      ? await Promise.all([readFile(join(uploadDir, `${file}.md5`), "utf8"), stat(join(uploadDir, file))]).catch(ignoreMissing)
      : undefined;
  if (found === undefined || found[0] !== String(part.etag).toLowerCase())
    throw new S3Error(
      "InvalidPart",
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
      { UploadId: uploadId, PartNumber: String(part.number), ETag: String(part.etag) },
    );
  return { file, size: found[1].size, md5: found[0] };
}

/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-<number of parts>`. */
function multipartEtag(partMd5s: readonly string[]): string {
  const hash = createHash("md5");
  for (const md5 of partMd5s) hash.update(Buffer.from(md5, "hex"));
  return `${hash.digest("hex")}-${partMd5s.length}`;
}

/** S3 frees the parts a completion does not list. */
async function discardUnlisted(uploadDir: string, listed: ReadonlySet<string>): Promise<void> {
  const partFiles = (await readdir(uploadDir)).filter((name) => /^\d+(\.md5)?$/.test(name));
  await Promise.all(
    partFiles.filter((name) => !listed.has(name.replace(/\.md5$/, ""))).map((name) => rm(join(uploadDir, name), { force: true })),
  );
}

/** Puts a link to `target` at `path` in one step (rename), over a plain object or an earlier link. */
async function replaceWithLink(path: string, target: string, uploadId: string): Promise<void> {
  const staged = `${path}.${uploadId}`;
  await symlink(target, staged);
  await rename(staged, path);
}

/** Bytes per read of a part file: a sixteenth of the reads (and their buffers) of a stream's default 64 KiB, for GETs of megabytes. */
const READ_BYTES = 1024 * 1024;

/** The parts' byte ranges, files and positions that `start`..`end` (inclusive) of the composite object covers, in order. */
function* partRanges(composite: Composite, start: number, end: number): Generator<{ file: string; from: number; to: number }> {
  let offset = 0;
  for (const part of composite.parts) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + part.size - 1);
    if (from <= to) yield { file: join(composite.directory, part.file), from: from - offset, to: to - offset };
    offset += part.size;
  }
}

/** Bytes `start`..`end` (inclusive) of the composite object, read from its parts in turn, each read a fresh buffer. */
async function* readParts(composite: Composite, start: number, end: number): AsyncGenerator<Buffer> {
  for (const { file, from, to } of partRanges(composite, start, end))
    yield* createReadStream(file, { start: from, end: to, highWaterMark: READ_BYTES });
}

/**
 * Bytes `start`..`end` (inclusive) of a composite object. Piped into an HTTP response (s3rver's Koa
 * pipes a GET's body so), it reads the parts into buffers it takes from a pool and gives back once the
 * response has written them to the socket (the write's callback): a fresh buffer for every MiB served
 * had V8 collect the main thread's whole heap every few tens of MiB (external memory pressure), which
 * cost more CPU than serving the bytes. Read any other way (a copy pipes it into a hash that passes
 * its chunks on), it is an ordinary stream of fresh buffers.
 */
class PartsStream extends Readable {
  private chunks?: AsyncGenerator<Buffer>;

  constructor(
    private readonly composite: Composite,
    private readonly start: number,
    private readonly end: number,
  ) {
    super();
  }

  override _read(): void {
    this.chunks ??= readParts(this.composite, this.start, this.end);
    this.chunks.next().then(
      (next) => this.push(next.done ? null : next.value),
      (error: Error) => this.destroy(error),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (!(destination instanceof ServerResponse)) return super.pipe(destination, options);
    this.writePooled(destination).then(
      () => {
        if (this.destroyed) return;
        if (options?.end !== false) destination.end();
        this.push(null);
        this.resume();
      },
      (error: Error) => this.destroy(error),
    );
    return destination;
  }

  /** Reads each part's range into pooled buffers, two writes in flight, each buffer back in the pool once written; stops once destroyed (the client went away). */
  private async writePooled(response: ServerResponse): Promise<void> {
    const writes: Promise<Error | null | undefined>[] = [];
    try {
      for (const { file, from, to } of partRanges(this.composite, this.start, this.end)) {
        const handle = await open(file, "r");
        try {
          for (let position = from; position <= to && !this.destroyed; ) {
            const buffer = POOL.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
            const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, to + 1 - position), position);
            if (bytesRead === 0) throw new Error(`${file} ended at byte ${position}, before byte ${to}`);
            position += bytesRead;
            writes.push(written(response, buffer, bytesRead));
            if (writes.length >= WRITES_IN_FLIGHT) throwIfFailed(await writes.shift());
          }
        } finally {
          await handle.close();
        }
      }
    } catch (error) {
      await Promise.all(writes); // the buffers still being written come back to the pool first
      throw error;
    }
    for (const error of await Promise.all(writes)) throwIfFailed(error);
  }
}

function throwIfFailed(error: Error | null | undefined): void {
  if (error) throw error;
}

/** Writes a pooled buffer's first `length` bytes; once the socket has them (or the response failed), the buffer goes back to the pool. Resolves with the write's error, if any. */
function written(response: ServerResponse, buffer: Buffer, length: number): Promise<Error | null | undefined> {
  return new Promise((resolve) => {
    response.write(buffer.subarray(0, length), (error) => {
      if (POOL.length < POOL_SIZE) POOL.push(buffer);
      resolve(error);
    });
  });
}

/** Reads of the next buffer overlap the write of the one before. */
const WRITES_IN_FLIGHT = 2;
/** Buffers kept for reuse: enough for the verifier's 8 GETs in flight, each with a read and two writes under way. */
const POOL_SIZE = 32;
const POOL: Buffer[] = [];

function noSuchUpload(uploadId: string): Error {
  return new S3Error(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );
}

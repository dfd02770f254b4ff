import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { verifySigV4 } from "./sigv4-verifier";

/**
 * A test double for what S3 itself enforces on the registry's uploads, and nothing more: a
 * node:http proxy in front of s3rver, which checks neither SigV4 signatures nor checksums
 * (docs/artifacts.md, "What guarantees what"). A request it has checked goes on to s3rver's own
 * handler in this process, or over HTTP when the front has read its body to verify it. Like S3 it
 * - checks a presigned URL with the shared verifier (./sigv4-verifier.ts): the SigV4 query
 *   signature is recomputed over the request as received (method, path, query, signed headers)
 *   with the credentials it knows; a URL used for another key, method or header value is 403 SignatureDoesNotMatch, and
 *   one past `X-Amz-Expires` is 403 AccessDenied;
 * - verifies `x-amz-checksum-sha256` on PutObject and UploadPart: the body is hashed as it
 *   streams into a spool file, and reaches s3rver only when it matches; otherwise 400 BadDigest
 *   and nothing is stored (a signed checksum header that is missing fails the signature first);
 * - honours `If-None-Match: *` on PutObject and CompleteMultipartUpload: 412 PreconditionFailed
 *   when the key exists (conditional writes to one key are serialised here);
 * - refuses UploadPart with a part number outside 1 to 10,000: 400 InvalidArgument;
 * - takes AbortMultipartUpload (which s3rver lacks) to s3rver's store, which frees the upload's parts:
 *   204, and from then on UploadPart, CompleteMultipartUpload and another abort with that upload ID
 *   are 404 NoSuchUpload, as is an abort of an upload completed or never started for that key;
 * - compares a CompleteMultipartUpload's ETags as strings, as S3 does: s3rver's XML parser turns
 *   an unquoted all-digit `<ETag>123</ETag>` into a number its controller throws on (a 500), so
 *   the front quotes unquoted ETags (S3 ignores quotes in them) and the part is 400 InvalidPart;
 * - answers ListObjectsV2 (path-style, without a delimiter) from s3rver's store: keys under `prefix`
 *   after `start-after` or the continuation token, in UTF-8 byte order, at most `max-keys` (1,000 at
 *   most) a page with size, ETag and last modification, `IsTruncated` and `NextContinuationToken`
 *   (a continuation token it did not issue, or an empty one, is 400 InvalidArgument);
 *   s3rver's own listing cannot page (its token is DES-encrypted, which OpenSSL 3 refuses);
 * - serves a suffix range `bytes=-N` as the object's last N bytes (s3rver reads it as bytes 0 to N);
 * - refuses a path that does not percent-decode, as S3 does: 400 InvalidURI (s3rver stored the key as written);
 * - answers in S3's XML error shape (s3rver's own S3Error).
 * Behind it, s3rver's store completes a multipart upload as S3 documents, in a time that does not
 * grow with its bytes (./s3-composite-store.ts): 400 InvalidPart for a part never uploaded or
 * listed with another ETag, 400 InvalidPartOrder, nothing stored either way; the object is the
 * parts renamed, not copied, with S3's multipart ETag (`<MD5 of the parts' MD5s>-<parts>`).
 * It does not: verify header-signed (Authorization) requests, x-amz-content-sha256 or
 * Content-MD5, other checksum algorithms, aws-chunked bodies, `If-Match`, EntityTooSmall (parts
 * under 5 MiB are taken); refuse anonymous
 * requests (a private bucket would); store checksums for HEAD or a listing to report; page a listing
 * folded at a delimiter, URL-encode listed keys (`encoding-type`), list owners; store a key with an
 * empty, `.` or `..` segment once percent-decoded (`a//b`, `/a`, `a/../b`, `%2e/b`), named by the path
 * or by `x-amz-copy-source`: it answers 400 InvalidArgument, where S3 stores any key, because
 * s3rver's store, a directory tree, joins a key's segments into a file path, where `..` reads and
 * writes outside its directory (keys ending in `/` are stored and listed as in S3).
 * Everything else is s3rver's behaviour, passed through unchanged.
 */

export interface S3FrontOptions {
  /** s3rver's endpoint, e.g. http://127.0.0.1:4568. */
  readonly target: string;
  /**
   * s3rver's own request handler, when it runs in this process: a request whose body the front has
   * not read (GET, HEAD, CompleteMultipartUpload…) is handed to it here instead of over a second
   * HTTP connection; the others go to `target` with their spooled body.
   */
  readonly handler?: (request: IncomingMessage, response: ServerResponse) => unknown;
  /** The access keys presigned URLs may be signed with. */
  readonly credentials: readonly { readonly accessKeyId: string; readonly secretAccessKey: string }[];
  readonly clock?: () => Date;
  /**
   * s3rver's store (s3rver runs in this process): the front answers ListObjectsV2 and
   * AbortMultipartUpload from it. s3rver has no abort, and its own listing cannot page (its
   * continuation token is DES-encrypted, which OpenSSL 3 refuses: a 500).
   */
  readonly store: FrontStore;
}

/** What the front reads of s3rver's store to list a bucket, and asks of it to abort an upload. */
export interface FrontStore {
  getBucket(bucket: string): Promise<unknown>;
  listObjects(
    bucket: string,
    options: { prefix: string; startAfter: string; maxKeys: number },
  ): Promise<{ readonly objects: readonly ListedObject[]; readonly isTruncated: boolean }>;
  /** Frees the upload's parts; throws S3's NoSuchUpload when `key` has no such upload open. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
}

interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly metadata: Record<string, unknown>;
  readonly lastModifiedDate: Date;
}

export interface S3Front {
  readonly endpoint: string;
  close(): Promise<void>;
}

interface S3Error {
  readonly status: number;
  toXML(): string;
}
const require = createRequire(import.meta.url);
const S3ErrorClass = require("s3rver/lib/models/error") as new (code: string, message: string, detail?: Record<string, string>) => S3Error;

const CHECKSUM_HEADER = "x-amz-checksum-sha256";
/** The region the local registry signs in (presigned URLs name it in their scope). */
const LOCAL_REGION = "us-east-1";

export async function startS3Front(options: S3FrontOptions): Promise<S3Front> {
  const clock = options.clock ?? (() => new Date());
  const secrets = new Map(options.credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  const spoolDir = await mkdtemp(join(tmpdir(), "s3-front-"));
  // It closes its idle connections to s3rver itself (the socket timeout), s3rver never does: see startS3rver.
  const agent = new Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS });
  const keyLocks = new Map<string, Promise<unknown>>();
  let spooled = 0;

  /** Runs `task` after every earlier task on `key`: two conditional writes to one key never both see it absent. */
  function serialised<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (keyLocks.get(key) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    keyLocks.set(key, settled);
    void settled.then(() => keyLocks.get(key) === settled && keyLocks.delete(key));
    return run;
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://s3-front");
    const rawPath = (request.url ?? "/").split("?")[0] as string;
    if (percentDecoded(rawPath) === undefined)
      return refuse(request, response, new S3ErrorClass("InvalidURI", "Couldn't parse the specified URI."));
    const unstorable = [rawPath, request.headers["x-amz-copy-source"]].find(hasUnstorableSegment);
    if (unstorable !== undefined) return refuse(request, response, unstorableKeyError(unstorable));
    const refusal = await presignedRefusal(request, url.searchParams, secrets, clock());
    if (refusal) return refuse(request, response, refusal);

    const operation = operationOf(request.method ?? "GET", url.searchParams, request.headers);
    if (operation === "ListObjectsV2") return listObjectsV2(options.store, request, response, rawPath, url.searchParams);
    if (operation === "AbortMultipartUpload")
      return abortMultipartUpload(options.store, request, response, {
        ...bucketAndKey(rawPath),
        uploadId: url.searchParams.get("uploadId") ?? "",
      });
    await absoluteSuffixRange(request, rawPath);
    let body: Readable = request;
    let headers = request.headers;
    let spoolFile: string | undefined;
    const partNumber = url.searchParams.get("partNumber");
    if (operation === "UploadPart" && !isPartNumber(partNumber))
      return refuse(
        request,
        response,
        new S3ErrorClass("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", {
          ArgumentName: "partNumber",
          ArgumentValue: String(partNumber),
        }),
      );
    try {
      if ((operation === "PutObject" || operation === "UploadPart") && request.headers[CHECKSUM_HEADER] !== undefined) {
        const declared = String(request.headers[CHECKSUM_HEADER]);
        if (!isSha256Base64(declared))
          return refuse(request, response, new S3ErrorClass("InvalidRequest", `Value for ${CHECKSUM_HEADER} header is invalid.`));
        spoolFile = join(spoolDir, String(spooled++));
        const received = await spoolAndHash(request, spoolFile);
        if (received.sha256 !== declared)
          return refuse(
            request,
            response,
            new S3ErrorClass("BadDigest", "The SHA256 you specified did not match the calculated checksum."),
          );
        body = createReadStream(spoolFile);
        headers = { ...withoutFraming(request.headers), "content-length": String(received.bytes) };
      }
      if (operation === "CompleteMultipartUpload") {
        const xml = Buffer.from(quotedEtags((await buffer(request)).toString("utf8")));
        body = Readable.from([xml]);
        headers = { ...withoutFraming(request.headers), "content-length": String(xml.length) };
      }
      const send = () =>
        body === request && options.handler ? handOver(options.handler, request, response) : forward(request, response, body, headers);
      if ((operation === "PutObject" || operation === "CompleteMultipartUpload") && request.headers["if-none-match"] === "*") {
        await serialised(rawPath, async () => {
          if (await exists(rawPath))
            return refuse(
              request,
              response,
              new S3ErrorClass("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
                Condition: "If-None-Match",
              }),
            );
          return send();
        });
      } else {
        await send();
      }
    } finally {
      if (spoolFile) await rm(spoolFile, { force: true });
    }
  }

  function forward(request: IncomingMessage, response: ServerResponse, body: Readable, headers: IncomingHttpHeaders): Promise<void> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(`${options.target}${request.url ?? "/"}`, { method: request.method, headers, agent }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, withoutConnectionHeaders(answer.headers));
        pipeline(answer, response).then(resolve, reject);
      });
      pipeline(body, outgoing).catch(reject);
    });
  }

  /** Resolves once s3rver has answered: a conditional write is then stored (or refused). */
  function handOver(handler: NonNullable<S3FrontOptions["handler"]>, request: IncomingMessage, response: ServerResponse): Promise<void> {
    handler(request, response);
    return finished(response);
  }

  const exists = async (rawPath: string): Promise<boolean> => (await storedSize(rawPath)) !== undefined;

  /** The stored object's size, or undefined when there is none. */
  function storedSize(rawPath: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const head = httpRequest(`${options.target}${rawPath}`, { method: "HEAD", agent }, (answer) => {
        answer.resume();
        resolve(answer.statusCode === 200 ? Number(answer.headers["content-length"]) : undefined);
      });
      head.once("error", reject);
      head.end();
    });
  }

  /**
   * A suffix range `bytes=-N` asks for the object's last N bytes; s3rver reads it as bytes 0 to N.
   * It goes on as the absolute range it names (N = 0 starts past the end: 416, as in S3).
   */
  async function absoluteSuffixRange(request: IncomingMessage, rawPath: string): Promise<void> {
    const suffix = /^bytes=-(\d+)$/.exec(String(request.headers.range ?? ""));
    if (!suffix || (request.method !== "GET" && request.method !== "HEAD")) return;
    const size = await storedSize(rawPath);
    if (size !== undefined) request.headers.range = `bytes=${Math.max(0, size - Number(suffix[1]))}-`;
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      void refuse(request, response, new S3ErrorClass("InternalError", `The S3 front failed: ${String(error)}`));
    });
  });
  // Node closes an idle connection after 5 s and tells clients so; a client starved of CPU for a
  // moment sends its next upload on a socket already closing (EPIPE). S3 keeps idle ones far longer.
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}

const IDLE_CONNECTION_MS = 60_000;

type Operation = "PutObject" | "UploadPart" | "CompleteMultipartUpload" | "AbortMultipartUpload" | "ListObjectsV2" | "Other";

/**
 * Whether a path or copy source (`/<bucket>/<key>`) has an empty, `.` or `..` segment once
 * percent-decoded (a trailing `/` is part of the key, as in S3). S3 stores such keys, but s3rver's
 * store joins a key's segments into a file path: `..` would climb out of its directory.
 */
function hasUnstorableSegment(path: string | string[] | undefined): path is string {
  if (typeof path !== "string") return false;
  const name = decodedAsRouted(path).replace(/^\//, "").replace(/\/$/, "");
  return name !== "" && name.split("/").some((segment) => segment === "" || segment === "." || segment === "..");
}

function unstorableKeyError(path: string): S3Error {
  return new S3ErrorClass(
    "InvalidArgument",
    "The local S3 stand-in cannot store a key with an empty, . or .. segment: its store files keys as paths.",
    { ArgumentName: "key", ArgumentValue: decodedAsRouted(path) },
  );
}

/** `text` percent-decoded (to UTF-8), or undefined when it does not decode: S3 answers 400 InvalidURI to such a path. */
function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Percent-decoded as s3rver's router decodes its path parameters: left as it is when it does not decode. */
const decodedAsRouted = (text: string): string => percentDecoded(text) ?? text;

function operationOf(method: string, query: URLSearchParams, headers: IncomingHttpHeaders): Operation {
  // A listing folded at a delimiter, or with URL-encoded keys, is s3rver's (it does not page).
  if (method === "GET" && query.get("list-type") === "2" && !query.get("delimiter") && !query.has("encoding-type")) return "ListObjectsV2";
  if (method === "DELETE" && query.has("uploadId")) return "AbortMultipartUpload";
  if (method === "PUT" && query.has("uploadId") && query.has("partNumber")) return "UploadPart";
  if (method === "PUT" && !headers["x-amz-copy-source"] && !query.has("uploadId")) return "PutObject";
  if (method === "POST" && query.has("uploadId")) return "CompleteMultipartUpload";
  return "Other";
}

/**
 * Why S3 would refuse this presigned request, or undefined when it is not one (header-signed and
 * anonymous requests pass) or its signature holds: the shared SigV4 verifier decides, and its
 * verdict is put in S3's words.
 */
async function presignedRefusal(
  request: IncomingMessage,
  query: URLSearchParams,
  secrets: ReadonlyMap<string, string>,
  now: Date,
): Promise<S3Error | undefined> {
  if (query.get("X-Amz-Signature") === null) return undefined;
  const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "s3-front"}`);
  const verdict = await verifySigV4(
    { method: request.method ?? "GET", url, headers: request.headers, payloadSha256: "UNSIGNED-PAYLOAD" },
    { service: "s3", region: LOCAL_REGION, secretFor: (accessKeyId) => secrets.get(accessKeyId), now },
  );
  if (verdict.ok) return undefined;
  const accessKeyId = (query.get("X-Amz-Credential") ?? "").split("/")[0] ?? "";
  switch (verdict.code) {
    case "InvalidClientTokenId":
      return new S3ErrorClass("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", {
        AWSAccessKeyId: accessKeyId,
      });
    case "SignatureExpired":
    case "SignatureNotYetCurrent":
      return new S3ErrorClass("AccessDenied", verdict.message, {
        "X-Amz-Expires": query.get("X-Amz-Expires") ?? "",
        ServerTime: isoSeconds(now),
      });
    case "SignatureDoesNotMatch":
      return new S3ErrorClass(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        { AWSAccessKeyId: accessKeyId },
      );
    default:
      return new S3ErrorClass("AuthorizationQueryParametersError", verdict.message);
  }
}

/** AbortMultipartUpload: 204 once s3rver's store has freed the upload, or the store's refusal (404 NoSuchUpload). */
async function abortMultipartUpload(
  store: FrontStore,
  request: IncomingMessage,
  response: ServerResponse,
  upload: { readonly bucket: string; readonly key: string; readonly uploadId: string },
): Promise<void> {
  try {
    await store.abortMultipartUpload(upload.bucket, upload.key, upload.uploadId);
  } catch (error) {
    if (error instanceof S3ErrorClass) return refuse(request, response, error);
    throw error;
  }
  request.resume();
  response.writeHead(204);
  response.end();
}

/** The bucket and key of a path-style request's path, each URL-decoded. */
function bucketAndKey(rawPath: string): { bucket: string; key: string } {
  const [bucket = "", ...key] = rawPath.slice(1).split("/");
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(key.join("/")) };
}

/**
 * ListObjectsV2 as S3 documents it (path-style requests): the keys under `prefix` after `start-after`,
 * or after where the `continuation-token` left off (it wins over `start-after`), in UTF-8 byte order,
 * at most `max-keys` (1,000 at most), each with its size, ETag and last modification; `IsTruncated`
 * and a `NextContinuationToken` when more follow. A continuation token it did not issue is 400
 * InvalidArgument. No checksum algorithm is reported: none is stored.
 */
async function listObjectsV2(
  store: FrontStore,
  request: IncomingMessage,
  response: ServerResponse,
  rawPath: string,
  query: URLSearchParams,
): Promise<void> {
  const bucket = decodeURIComponent(rawPath.replace(/^\/+|\/+$/g, ""));
  const token = query.get("continuation-token");
  const startAfter = query.get("start-after") ?? "";
  const from = token === null ? startAfter : keyOfToken(token);
  if (from === undefined)
    return refuse(request, response, new S3ErrorClass("InvalidArgument", "The continuation token provided is incorrect"));
  const maxKeysGiven = query.get("max-keys");
  if (maxKeysGiven !== null && !/^\d+$/.test(maxKeysGiven))
    return refuse(
      request,
      response,
      new S3ErrorClass("InvalidArgument", "Provided max-keys not an integer or within integer range", {
        ArgumentName: "max-keys",
        ArgumentValue: maxKeysGiven,
      }),
    );
  if (bucket.includes("/") || !(await store.getBucket(bucket)))
    return refuse(request, response, new S3ErrorClass("NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket }));
  const prefix = query.get("prefix") ?? "";
  const maxKeys = maxKeysGiven === null ? 1000 : Math.min(1000, Number(maxKeysGiven));
  const listed =
    maxKeys === 0 ? { objects: [], isTruncated: false } : await store.listObjects(bucket, { prefix, startAfter: from, maxKeys });
  const last = listed.objects.at(-1);
  const body = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    element("Name", bucket),
    element("Prefix", prefix),
    token !== null ? element("ContinuationToken", token) : startAfter ? element("StartAfter", startAfter) : "",
    element("KeyCount", listed.objects.length),
    element("MaxKeys", maxKeysGiven ?? 1000),
    element("IsTruncated", listed.isTruncated),
    listed.isTruncated && last ? element("NextContinuationToken", continuationToken(last.key)) : "",
    ...listed.objects.map(
      (object) =>
        `<Contents>${element("Key", object.key)}${element("LastModified", object.lastModifiedDate.toISOString())}` +
        `${element("ETag", String(object.metadata.etag))}${element("Size", object.size)}${element("StorageClass", "STANDARD")}</Contents>`,
    ),
    "</ListBucketResult>",
  ].join("");
  request.resume();
  response.writeHead(200, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

/**
 * The token that continues a listing after `key`: the key behind a check of it. S3's tokens are
 * opaque, and one it did not issue is 400 InvalidArgument, not a listing from wherever it decodes to.
 */
const continuationToken = (key: string): string => Buffer.concat([tokenCheck(key), Buffer.from(key)]).toString("base64url");

/** The key a token of continuationToken continues after, or undefined when the front did not issue it. */
function keyOfToken(token: string): string | undefined {
  const key = Buffer.from(token, "base64url").subarray(TOKEN_CHECK_BYTES).toString("utf8");
  return continuationToken(key) === token ? key : undefined;
}

const TOKEN_CHECK_BYTES = 8;
const tokenCheck = (key: string): Buffer =>
  createHash("sha256").update(`continuation-token:${key}`).digest().subarray(0, TOKEN_CHECK_BYTES);

const element = (name: string, value: string | number | boolean): string => `<${name}>${escapeXml(String(value))}</${name}>`;

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch] as string);

/** Writes the body to `file`, hashing it on the way. */
/** Every unquoted ETag of a CompleteMultipartUpload body in quotes, so that s3rver reads each as the string it is. */
export const quotedEtags = (xml: string): string => xml.replace(/<ETag>([^<"&]*)<\/ETag>/g, '<ETag>"$1"</ETag>');

async function buffer(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function spoolAndHash(body: Readable, file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(body, tap, createWriteStream(file));
  return { sha256: hash.digest("base64"), bytes };
}

/** S3's part numbers: 1 to 10,000 (s3rver stores any, even `0` or `-1`, as a part file of that name). */
const isPartNumber = (value: string | null): boolean =>
  value !== null && /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 10_000;

function isSha256Base64(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(value);
}

/** The request's headers without its framing: the spooled body is sent with its own length. */
function withoutFraming(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { "transfer-encoding": _chunked, "content-length": _length, expect: _expect, ...rest } = headers;
  return rest;
}

/** s3rver's answer without its own connection's headers: the front's connection to the client is another one (its idle timeout). */
function withoutConnectionHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, "keep-alive": _keepAlive, ...rest } = headers;
  return rest;
}

const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d+/, "");

/** Answers with S3's XML error once the request's body is read: a client still sending would miss an early answer. */
async function refuse(request: IncomingMessage, response: ServerResponse, error: S3Error): Promise<void> {
  if (!request.readableEnded) {
    request.resume();
    await new Promise<void>((resolve) => {
      request.once("end", resolve);
      request.once("close", resolve);
    });
  }
  const body = error.toXML();
  response.writeHead(error.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

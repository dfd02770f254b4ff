import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hash } from "@smithy/core/serde";
import { SignatureV4 } from "@smithy/signature-v4";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { ArtifactBucket } from "../../shared/store/artifact-bucket";
import { ArtifactReads } from "../../shared/store/artifact-reads";
import { createS3Client } from "../../shared/s3-client";
import { DEFAULT_UPLOAD_SETTINGS, type RegistryConfig } from "../../shared/config";
import { hexToBase64 } from "../../shared/domain/artifacts";
import { sha256 } from "../support/fixtures";
import { TEST_BUCKET } from "../support/global-setup";
import { storedDigest } from "../support/verification";
import { localCredentials, startS3rver, type RunningEngine } from "../../infra/local/engines";

/**
 * The S3 front (infra/local/s3-front.ts) in front of the tests' s3rver: what S3 enforces on the
 * registry's presigned uploads is enforced here too, at upload time.
 */

const config = {
  region: "us-east-1",
  bucketName: TEST_BUCKET,
  endpoints: { s3: inject("s3Endpoint") },
  uploads: DEFAULT_UPLOAD_SETTINGS,
} as RegistryConfig;
const s3 = createS3Client(config);
const bucketSigningAt = (clock: () => Date, uploadUrlExpirySeconds = 900) =>
  new ArtifactBucket(s3, TEST_BUCKET, { uploadUrlExpirySeconds, clock });
const bucket = bucketSigningAt(() => new Date());
const stored = { artifacts: bucket, artifactReads: new ArtifactReads(s3, TEST_BUCKET) };
const uniqueKey = () => `s3-front/${randomUUID()}`;

async function put(
  request: { url: string; headers: Record<string, string> },
  body: Buffer,
): Promise<{ status: number; text: string; etag: string | null }> {
  const response = await fetch(request.url, { method: "PUT", headers: request.headers, body });
  return { status: response.status, text: await response.text(), etag: response.headers.get("etag") };
}

const s3ErrorCode = (xml: string) => /<Error>\s*<Code>([^<]+)<\/Code>/.exec(xml)?.[1];

describe("the S3 front before s3rver", () => {
  it("stores the declared bytes of a presigned PUT", async () => {
    const bytes = randomBytes(4096);
    const key = uniqueKey();

    const answer = await put(await bucket.presignPut(key, sha256(bytes)), bytes);

    expect(answer.status, answer.text).toBe(200);
    expect(await storedDigest(stored, key)).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length });
  });

  it("keeps an idle connection a minute, as S3 does, so a client busy between two parts finds it open", async () => {
    const bytes = randomBytes(16);
    const request = await bucket.presignPut(uniqueKey(), sha256(bytes));
    const response = await fetch(request.url, { method: "PUT", headers: request.headers, body: bytes });

    expect(response.status, await response.text()).toBe(200);

    // Node's default (5 s) closed the socket under a client hashing its next part: EPIPE.
    expect(response.headers.get("keep-alive")).toBe("timeout=60");
  });

  it("answers 400 BadDigest to a presigned PUT of other bytes, and stores nothing", async () => {
    const declared = randomBytes(4096);
    const key = uniqueKey();

    const answer = await put(await bucket.presignPut(key, sha256(declared)), randomBytes(4096));

    expect(answer.status).toBe(400);
    expect(s3ErrorCode(answer.text), answer.text).toBe("BadDigest");
    expect(await bucket.head(key)).toBeUndefined();
  });

  it("answers 400 BadDigest to a part of other bytes, and assembles the upload from the right ones", async () => {
    const part = randomBytes(64 * 1024);
    const key = uniqueKey();
    const uploadId = await bucket.startMultipart(key, "application/octet-stream");
    const url = await bucket.presignPart(key, uploadId, 1, sha256(part));

    const wrong = await put(url, randomBytes(part.length));
    const right = await put(url, part);

    expect(wrong.status).toBe(400);
    expect(s3ErrorCode(wrong.text), wrong.text).toBe("BadDigest");
    expect(right.status, right.text).toBe(200);
    expect(await bucket.completeMultipart(key, uploadId, [{ partNumber: 1, etag: right.etag as string, sha256: sha256(part) }])).toBe(
      "completed",
    );
    expect(await storedDigest(stored, key)).toEqual({ sha256: sha256(part), sizeBytes: part.length });
  });

  it("answers 400 InvalidPart to a completion naming an all-digit ETag, and assembles the upload from the right one after", async () => {
    const part = randomBytes(64 * 1024);
    const key = uniqueKey();
    const uploadId = await bucket.startMultipart(key, "application/octet-stream");
    const uploaded = await put(await bucket.presignPart(key, uploadId, 1, sha256(part)), part);

    const digits = bucket.completeMultipart(key, uploadId, [{ partNumber: 1, etag: "123", sha256: sha256(part) }]);

    await expect(digits).rejects.toMatchObject({ code: "UploadIncomplete", details: { s3Code: "InvalidPart" } });
    expect(await bucket.head(key)).toBeUndefined();
    expect(await bucket.completeMultipart(key, uploadId, [{ partNumber: 1, etag: uploaded.etag as string, sha256: sha256(part) }])).toBe(
      "completed",
    );
    expect(await storedDigest(stored, key)).toEqual({ sha256: sha256(part), sizeBytes: part.length });
  });

  it("aborts a multipart upload as S3 does: its part URLs and its completion answer 404 NoSuchUpload, and a second abort is harmless", async () => {
    const part = randomBytes(64 * 1024);
    const key = uniqueKey();
    const uploadId = await bucket.startMultipart(key, "application/octet-stream");
    const url = await bucket.presignPart(key, uploadId, 1, sha256(part));
    const before = await put(url, part);

    await bucket.abortMultipart(key, uploadId);

    const after = await put(url, part);
    expect(before.status, before.text).toBe(200);
    expect(after.status).toBe(404);
    expect(s3ErrorCode(after.text), after.text).toBe("NoSuchUpload");
    await expect(
      bucket.completeMultipart(key, uploadId, [{ partNumber: 1, etag: before.etag as string, sha256: sha256(part) }]),
    ).rejects.toMatchObject({ code: "UploadIncomplete", details: { s3Code: "NoSuchUpload" } });
    await expect(bucket.abortMultipart(key, uploadId)).resolves.toBeUndefined();
    expect(await bucket.head(key)).toBeUndefined();
  });

  it("answers 400 BadDigest when an unsigned checksum header does not match the body", async () => {
    const key = uniqueKey();
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: TEST_BUCKET, Key: key }), { expiresIn: 60 });

    const answer = await put({ url, headers: { "x-amz-checksum-sha256": hexToBase64(sha256("other bytes")) } }, Buffer.from("these bytes"));

    expect(answer.status).toBe(400);
    expect(s3ErrorCode(answer.text), answer.text).toBe("BadDigest");
    expect(await bucket.head(key)).toBeUndefined();
  });

  it("answers 403 AccessDenied to an expired URL", async () => {
    const bytes = randomBytes(1024);
    const key = uniqueKey();
    const signedAnHourAgo = bucketSigningAt(() => new Date(Date.now() - 3_600_000), 60);

    const answer = await put(await signedAnHourAgo.presignPut(key, sha256(bytes)), bytes);

    expect(answer.status).toBe(403);
    expect(s3ErrorCode(answer.text), answer.text).toBe("AccessDenied");
    expect(answer.text).toContain("Request has expired");
    expect(await bucket.head(key)).toBeUndefined();
  });

  it("answers 403 SignatureDoesNotMatch to a URL used for another key, or without its signed checksum header", async () => {
    const bytes = randomBytes(1024);
    const key = uniqueKey();
    const otherKey = uniqueKey();
    const signed = await bucket.presignPut(key, sha256(bytes));

    const elsewhere = await put({ ...signed, url: signed.url.replace(key, otherKey) }, bytes);
    const { "x-amz-checksum-sha256": _checksum, ...withoutChecksum } = signed.headers;
    const unchecked = await put({ ...signed, headers: withoutChecksum }, bytes);

    for (const answer of [elsewhere, unchecked]) {
      expect(answer.status).toBe(403);
      expect(s3ErrorCode(answer.text), answer.text).toBe("SignatureDoesNotMatch");
    }
    expect(await bucket.head(otherKey)).toBeUndefined();
    expect(await bucket.head(key)).toBeUndefined();
  });

  it("answers 412 PreconditionFailed to an If-None-Match: * PUT over a stored object, which stays as it was", async () => {
    const bytes = randomBytes(1024);
    const key = uniqueKey();
    const signed = await bucket.presignPut(key, sha256(bytes));
    expect((await put(signed, bytes)).status).toBe(200);

    const again = await put(signed, bytes);

    expect(again.status).toBe(412);
    expect(s3ErrorCode(again.text), again.text).toBe("PreconditionFailed");
    expect(await storedDigest(stored, key)).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length });
  });

  it("lists ListObjectsV2 pages as S3 does: keys under the prefix after StartAfter, MaxKeys a page, then the ContinuationToken's page", async () => {
    const prefix = `${uniqueKey()}/`;
    const sizes = { "a-": 3, a: 1, "a/b": 5, b: 2, "c%&<d": 4 };
    for (const [name, size] of Object.entries(sizes))
      await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `${prefix}${name}`, Body: randomBytes(size) }));
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `${prefix.slice(0, -1)}-other`, Body: randomBytes(1) }));
    const list = (input: { StartAfter?: string; MaxKeys?: number; ContinuationToken?: string }) =>
      s3.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix, ...input }));
    const named = (page: Awaited<ReturnType<typeof list>>) =>
      (page.Contents ?? []).map((object) => [object.Key?.slice(prefix.length), object.Size]);

    const first = await list({ MaxKeys: 2 });
    const second = await list({ MaxKeys: 2, ContinuationToken: first.NextContinuationToken });
    const last = await list({ MaxKeys: 2, ContinuationToken: second.NextContinuationToken });
    const afterA = await list({ StartAfter: `${prefix}a` });

    // UTF-8 byte order ("a" < "a-" < "a/b"), each with its size; the sibling outside the prefix is not listed.
    expect([first, second, last].map((page) => [named(page), page.KeyCount, page.IsTruncated])).toEqual([
      [
        [
          ["a", 1],
          ["a-", 3],
        ],
        2,
        true,
      ],
      [
        [
          ["a/b", 5],
          ["b", 2],
        ],
        2,
        true,
      ],
      [[["c%&<d", 4]], 1, false],
    ]);
    expect(last.NextContinuationToken).toBeUndefined();
    expect(named(afterA)).toEqual([
      ["a-", 3],
      ["a/b", 5],
      ["b", 2],
      ["c%&<d", 4],
    ]);
    expect(first.Contents?.[0]).toEqual(
      expect.objectContaining({ ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/), StorageClass: "STANDARD" }),
    );
  });

  it("answers 400 InvalidArgument to a ListObjectsV2 continuation token it never issued: empty, garbled, or a key in base64", async () => {
    const prefix = `${uniqueKey()}/`;
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `${prefix}a`, Body: randomBytes(1) }));

    for (const token of ["", "not a token!", Buffer.from(`${prefix}a`).toString("base64url")]) {
      const listed = s3.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix, ContinuationToken: token }));

      await expect(listed, JSON.stringify(token)).rejects.toMatchObject({
        name: "InvalidArgument",
        message: "The continuation token provided is incorrect",
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it("stores, reads and lists a key ending in / beside the same key without it, as S3 keeps any key", async () => {
    const key = uniqueKey();
    const bodies = { [key]: randomBytes(10), [`${key}/`]: randomBytes(20) };

    for (const [name, bytes] of Object.entries(bodies))
      expect((await put(await bucket.presignPut(name, sha256(bytes)), bytes)).status).toBe(200);

    for (const [name, bytes] of Object.entries(bodies))
      expect(await storedDigest(stored, name), name).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: key }));
    expect(listed.Contents?.map((object) => [object.Key, object.Size])).toEqual([
      [key, 10],
      [`${key}/`, 20],
    ]);
  });

  it("lists a multipart object with its whole size", async () => {
    const part = randomBytes(64 * 1024);
    const key = uniqueKey();
    const uploadId = await bucket.startMultipart(key, "application/octet-stream");
    const uploaded = await put(await bucket.presignPart(key, uploadId, 1, sha256(part)), part);
    await bucket.completeMultipart(key, uploadId, [{ partNumber: 1, etag: uploaded.etag ?? "", sha256: sha256(part) }]);

    const page = await s3.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: key }));

    expect(page.Contents?.map((object) => [object.Key, object.Size, object.ETag])).toEqual([
      [key, part.length, expect.stringMatching(/-1"$/)],
    ]);
  });

  it("lets exactly one of two concurrent If-None-Match: * PUTs of one key store it", async () => {
    const bytes = randomBytes(256 * 1024);
    const key = uniqueKey();
    const signed = await bucket.presignPut(key, sha256(bytes));

    const statuses = (await Promise.all([put(signed, bytes), put(signed, bytes)])).map((answer) => answer.status).sort();

    expect(statuses).toEqual([200, 412]);
  });
});

describe("the S3 front and keys with an empty, . or .. segment", () => {
  const BUCKET = "dot-segments";
  let root: string;
  let s3rver: RunningEngine;
  const stored = () => readdir(root, { recursive: true }).then((names) => names.sort());

  beforeAll(async () => {
    // s3rver's own directory sits two levels down, so a key that climbs out of it lands in `root`.
    root = await mkdtemp(join(tmpdir(), "s3-front-dots-"));
    s3rver = await startS3rver({ dataDir: join(root, "data", "s3"), bucket: BUCKET });
  });
  afterAll(async () => {
    await s3rver.stop();
    await rm(root, { recursive: true, force: true });
  });

  /**
   * `method` on the raw path `/<bucket>/<rawKey>` with node:http (fetch would normalise it),
   * presigned over the path as URL parsing normalises it, as the front's verifier reads it: the
   * signature holds, and what is tested is the key.
   */
  async function sendRaw(
    method: string,
    rawKey: string,
    headers: Record<string, string> = {},
    query: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    const endpoint = new URL(s3rver.endpoint);
    const rawPath = `/${BUCKET}/${rawKey}`;
    const signer = new SignatureV4({
      service: "s3",
      region: "us-east-1",
      credentials: localCredentials,
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: false,
    });
    const presigned = await signer.presign(
      {
        method,
        protocol: "http:",
        hostname: endpoint.hostname,
        port: Number(endpoint.port),
        path: new URL(rawPath, endpoint).pathname,
        query,
        headers: { host: endpoint.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      },
      { expiresIn: 300, unsignableHeaders: new Set(["x-amz-content-sha256"]) },
    );
    const signedQuery = new URLSearchParams(presigned.query as Record<string, string>);
    const body = method === "PUT" ? "written by the test" : "";
    return new Promise((resolve, reject) => {
      // A path in the options, not a URL, which would be normalised.
      const sent = httpRequest(
        {
          host: endpoint.hostname,
          port: endpoint.port,
          path: `${rawPath}?${signedQuery}`,
          method,
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (answer) => {
          let text = "";
          answer.setEncoding("utf8");
          answer.on("data", (chunk: string) => (text += chunk));
          answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body: text }));
        },
      );
      sent.once("error", reject);
      sent.end(body);
    });
  }

  it.for([
    ["a/../../../../escaped", "`..` segments"],
    ["%2e%2e/%2E%2E/%2e%2e/escaped", "percent-encoded `..` segments"],
    ["a%2F..%2F..%2F..%2F..%2Fescaped", "`..` between percent-encoded slashes"],
    ["./dot", "a `.` segment"],
    ["%2e/dot", "a percent-encoded `.` segment"],
    ["a//b", "an empty segment"],
    ["/a", "a leading empty segment"],
  ])("answers 400 InvalidArgument to a signed PUT and GET of the key %s (%s), and writes nothing", async ([rawKey]) => {
    const before = await stored();

    const written = await sendRaw("PUT", rawKey as string);
    const read = await sendRaw("GET", rawKey as string);

    expect(written.status, written.body).toBe(400);
    expect(s3ErrorCode(written.body), written.body).toBe("InvalidArgument");
    expect(written.body).toMatch(/empty, \. or \.\. segment/);
    expect(read.status, read.body).toBe(400);
    expect(await stored()).toEqual(before);
  });

  it("answers 400 InvalidArgument to a copy whose source key has a .. segment, and copies nothing", async () => {
    // An object as s3rver files one, beside its directory.
    await writeFile(join(root, "data", "outside._S3rver_object"), "outside the store");
    await writeFile(join(root, "data", "outside._S3rver_object.md5"), "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    await writeFile(join(root, "data", "outside._S3rver_metadata.json"), "{}");
    const before = await stored();

    const copied = await sendRaw("PUT", "copy", { "x-amz-copy-source": `/${BUCKET}/a/../../../outside` });

    expect(copied.status, copied.body).toBe(400);
    expect(s3ErrorCode(copied.body), copied.body).toBe("InvalidArgument");
    expect(await stored()).toEqual(before);
  });

  it.for([
    ["PUT", "bad%zzkey", {}],
    ["GET", "bad%zzkey", {}],
    ["DELETE", "half%E2%82", {}],
    ["DELETE", "bad%zzkey", { uploadId: "0123456789abcdef0123456789abcdef" }],
  ] as const)(
    "answers 400 InvalidURI, as S3 does, to %s of a path that does not percent-decode (%s %j), and writes nothing",
    async ([method, rawKey, query]) => {
      const before = await stored();

      const answer = await sendRaw(method, rawKey, {}, query);

      expect(answer.status, answer.body).toBe(400);
      expect(s3ErrorCode(answer.body), answer.body).toBe("InvalidURI");
      expect(await stored()).toEqual(before);
    },
  );

  it("still stores and reads a key ending in /, as S3 does", async () => {
    expect((await sendRaw("PUT", "folder/")).status).toBe(200);
    expect((await sendRaw("GET", "folder/")).body).toBe("written by the test");
  });
});

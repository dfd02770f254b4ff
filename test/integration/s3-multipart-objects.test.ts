import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { once } from "node:events";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { localCredentials, startS3rver, type RunningEngine } from "../../infra/local/engines";

/**
 * Multipart objects in the local S3 (infra/local/s3-composite-store.ts): completing renames the
 * parts into the object instead of copying them, and every read of the object sees S3's object.
 * Its own s3rver, so the test can look at what is left on disk.
 */

const BUCKET = "multipart-objects";
let dataDir: string;
let engine: RunningEngine;
let s3: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-multipart-"));
  engine = await startS3rver({ dataDir, bucket: BUCKET });
  s3 = new S3Client({
    region: "us-east-1",
    endpoint: engine.endpoint,
    forcePathStyle: true,
    credentials: localCredentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
});

afterAll(async () => {
  s3.destroy();
  await engine.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest();
/** S3's ETag of a multipart object (quoted): the MD5 of the parts' binary MD5s, then `-<number of parts>`. */
const multipartEtag = (parts: readonly Buffer[]) =>
  `"${createHash("md5")
    .update(Buffer.concat(parts.map(md5)))
    .digest("hex")}-${parts.length}"`;

interface Upload {
  readonly key: string;
  readonly uploadId: string;
  readonly parts: { PartNumber: number; ETag: string }[];
}

async function uploadParts(parts: readonly Buffer[], key = `models/${randomUUID()}`): Promise<Upload> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: "application/x-tar" }));
  const uploadId = UploadId as string;
  const uploaded = await Promise.all(
    parts.map(async (body, i) => {
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }),
      );
      return { PartNumber: i + 1, ETag: ETag as string };
    }),
  );
  return { key, uploadId, parts: uploaded };
}

const complete = (upload: Upload, parts = upload.parts) =>
  s3.send(
    new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: upload.key, UploadId: upload.uploadId, MultipartUpload: { Parts: parts } }),
  );

async function read(key: string, range?: string): Promise<Buffer> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: range }));
  return Buffer.from(await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function s3Code(request: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  const error = await request.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof S3ServiceException)) throw new Error(`expected S3 to refuse, got ${String(error)}`);
  return { code: error.name, status: error.$metadata.httpStatusCode };
}

/** Starts a GET of the whole object and goes away after its first bytes, as a client that gives up does: the bytes it had. */
async function leaveMidGet(key: string): Promise<number> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const body = Body as Readable;
  const [first] = await once(body, "data");
  body.destroy();
  return (first as Buffer).length;
}

const head = (key: string) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
/** Every file under the data directory whose path names `key`: the object, its metadata, its parts. */
const filesOf = async (key: string) =>
  (await readdir(join(dataDir, BUCKET), { recursive: true })).filter((path) => path.includes(key.split("/").pop() as string));

describe("multipart objects in the local S3", () => {
  it("serves a completed upload as the parts in order, with S3's multipart ETag, whole, ranged, listed and headed", async () => {
    const parts = [randomBytes(100_000), randomBytes(70_000), randomBytes(1_000)];
    const whole = Buffer.concat(parts);
    const upload = await uploadParts(parts);

    const completed = await complete(upload);

    expect(completed.ETag).toBe(multipartEtag(parts));
    expect(await read(upload.key)).toEqual(whole);
    const across = await read(upload.key, "bytes=99990-170009");
    expect(across).toEqual(whole.subarray(99_990, 170_010));
    expect(await read(upload.key, "bytes=170500-")).toEqual(whole.subarray(170_500));
    expect(await read(upload.key, "bytes=170999-999999")).toEqual(whole.subarray(170_999));
    const headed = await head(upload.key);
    expect(headed).toMatchObject({ ContentLength: whole.length, ETag: multipartEtag(parts), ContentType: "application/x-tar" });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: upload.key }));
    expect(listed.Contents?.map(({ Key, Size, ETag }) => ({ Key, Size, ETag }))).toEqual([
      { Key: upload.key, Size: whole.length, ETag: multipartEtag(parts) },
    ]);
  });

  it("serves many ranged GETs of a multipart object at once, each exactly its bytes, round after round, also after clients left mid-GET", async () => {
    const MiB = 1024 * 1024;
    const parts = [randomBytes(3 * MiB + 5), randomBytes(2 * MiB), randomBytes(MiB + 77)];
    const whole = Buffer.concat(parts);
    const upload = await uploadParts(parts);
    await complete(upload);
    const randomRange = () => {
      const start = Math.floor(Math.random() * whole.length);
      return { start, end: Math.min(whole.length - 1, start + Math.floor(Math.random() * 3 * MiB)) };
    };

    for (let round = 0; round < 6; round++) {
      const ranges = Array.from({ length: 10 }, randomRange);
      const [read1, ...reads] = await Promise.all([
        leaveMidGet(upload.key),
        ...ranges.map(({ start, end }) => read(upload.key, `bytes=${start}-${end}`)),
      ]);
      expect(read1).toBeGreaterThan(0);
      reads.forEach((bytes, i) => {
        const { start, end } = ranges[i] as { start: number; end: number };
        expect(bytes.equals(whole.subarray(start, end + 1)), `round ${round}, bytes ${start}-${end}`).toBe(true);
      });
    }
    expect((await read(upload.key)).equals(whole)).toBe(true);
  });

  it("answers 416 InvalidRange to a range starting past a multipart object", async () => {
    const upload = await uploadParts([randomBytes(1_000), randomBytes(1_000)]);
    await complete(upload);

    expect(await s3Code(read(upload.key, "bytes=2000-2100"))).toEqual({ code: "InvalidRange", status: 416 });
  });

  it("serves a one-byte range bytes=0-0 and a suffix range bytes=-N as S3 does, of a plain and of a multipart object", async () => {
    const plain = randomBytes(1_000);
    const plainKey = `models/${randomUUID()}`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: plainKey, Body: plain }));
    const parts = [randomBytes(1_000), randomBytes(1_000)];
    const upload = await uploadParts(parts);
    await complete(upload);

    for (const [key, whole] of [
      [plainKey, plain],
      [upload.key, Buffer.concat(parts)],
    ] as const) {
      expect(await read(key, "bytes=0-0")).toEqual(whole.subarray(0, 1));
      expect(await read(key, "bytes=-3")).toEqual(whole.subarray(-3));
      expect(await read(key, "bytes=-5000")).toEqual(whole);
      // Several ranges, which S3 does not serve, or no numbers: the whole object, not 416.
      expect(await read(key, "bytes=0-1,3-4")).toEqual(whole);
      expect(await read(key, "bytes=a-b")).toEqual(whole);
    }
  });

  it("answers 416 InvalidRange to any range of an empty object, which it serves whole", async () => {
    const key = `models/${randomUUID()}`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.alloc(0) }));

    // It announced one byte and sent none: the client waited for it.
    for (const range of ["bytes=0-0", "bytes=0-", "bytes=-1"])
      expect(await s3Code(read(key, range)), range).toEqual({ code: "InvalidRange", status: 416 });
    expect(await read(key)).toEqual(Buffer.alloc(0));
  });

  it("answers 400 InvalidPart to a completion naming a part never uploaded, stores nothing and stays up; the upload completes afterwards", async () => {
    const parts = [randomBytes(10_000), randomBytes(10_000)];
    const upload = await uploadParts(parts);
    const neverUploaded = { PartNumber: 3, ETag: upload.parts[0]?.ETag as string };

    const refused = await s3Code(complete(upload, [...upload.parts, neverUploaded]));

    expect(refused).toEqual({ code: "InvalidPart", status: 400 });
    expect(await s3Code(head(upload.key))).toMatchObject({ status: 404 });
    expect(await filesOf(upload.key)).toEqual([]);
    // The same s3rver, still answering; S3 keeps the upload open after InvalidPart.
    await complete(upload);
    expect(await read(upload.key)).toEqual(Buffer.concat(parts));
  });

  it("answers 400 InvalidPart to a part listed with another part's ETag", async () => {
    const upload = await uploadParts([randomBytes(10_000), randomBytes(10_000)]);
    const swapped = upload.parts.map((part, i) => ({ ...part, ETag: upload.parts[1 - i]?.ETag as string }));

    expect(await s3Code(complete(upload, swapped))).toEqual({ code: "InvalidPart", status: 400 });
    expect(await s3Code(head(upload.key))).toMatchObject({ status: 404 });
  });

  it("answers 400 InvalidPartOrder to parts not in ascending order", async () => {
    const upload = await uploadParts([randomBytes(10_000), randomBytes(10_000)]);

    expect(await s3Code(complete(upload, [...upload.parts].reverse()))).toEqual({ code: "InvalidPartOrder", status: 400 });
    expect(await s3Code(head(upload.key))).toMatchObject({ status: 404 });
  });

  it("answers 404 NoSuchUpload to a second completion of one upload, leaving the object as completed", async () => {
    const parts = [randomBytes(10_000), randomBytes(10_000)];
    const upload = await uploadParts(parts);
    await complete(upload);

    expect(await s3Code(complete(upload))).toEqual({ code: "NoSuchUpload", status: 404 });
    expect(await read(upload.key)).toEqual(Buffer.concat(parts));
  });

  it("answers 400 InvalidArgument to a part numbered outside 1 to 10,000, storing no part", async () => {
    const key = `models/${randomUUID()}`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const uploadPart = (PartNumber: number) =>
      s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber, Body: randomBytes(10) }));

    for (const partNumber of [0, 10_001, -1])
      expect(await s3Code(uploadPart(partNumber)), `part ${partNumber}`).toEqual({ code: "InvalidArgument", status: 400 });
    expect((await uploadPart(10_000)).ETag).toBeDefined();
    const partFiles = (await readdir(join(dataDir, BUCKET), { recursive: true }))
      .filter((path) => path.includes(UploadId as string))
      .map((path) => path.split("/").pop() as string)
      .filter((name) => /^-?\d+$/.test(name));
    expect(partFiles).toEqual(["10000"]);
  });

  it("answers 404 NoSuchUpload to a part of an upload never started or already completed, a large checksummed one too", async () => {
    const upload = await uploadParts([randomBytes(10_000)]);
    await complete(upload);
    const uploadPart = (UploadId: string, Body = randomBytes(10)) =>
      s3.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: upload.key,
          UploadId,
          PartNumber: 2,
          Body,
          ChecksumSHA256: createHash("sha256").update(Body).digest("base64"),
        }),
      );

    expect(await s3Code(uploadPart(upload.uploadId))).toEqual({ code: "NoSuchUpload", status: 404 });
    expect(await s3Code(uploadPart(randomUUID()))).toEqual({ code: "NoSuchUpload", status: 404 });
    // The S3 front sends it on from its spool file: refused unread, it answered 500.
    expect(await s3Code(uploadPart(upload.uploadId, randomBytes(20 * 1024 * 1024)))).toEqual({ code: "NoSuchUpload", status: 404 });
  });

  it("aborts an open upload, freeing its parts; answers 404 NoSuchUpload to an abort of an upload aborted, completed, never started or of another key", async () => {
    const open = await uploadParts([randomBytes(10_000)]);
    const completed = await uploadParts([randomBytes(10_000)]);
    await complete(completed);
    const abort = (key: string, uploadId: string) =>
      s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    const uploadFiles = async (uploadId: string) => (await readdir(dataDir, { recursive: true })).filter((path) => path.includes(uploadId));

    expect(await s3Code(abort(`models/${randomUUID()}`, open.uploadId)), "another key").toEqual({ code: "NoSuchUpload", status: 404 });
    await abort(open.key, open.uploadId);

    expect(await uploadFiles(open.uploadId)).toEqual([]);
    for (const [why, key, uploadId] of [
      ["aborted", open.key, open.uploadId],
      ["completed", completed.key, completed.uploadId],
      ["never started", open.key, randomBytes(16).toString("hex")],
    ] as const)
      expect(await s3Code(abort(key, uploadId)), why).toEqual({ code: "NoSuchUpload", status: 404 });
    expect(await read(completed.key)).toHaveLength(10_000);
  });

  it("keeps only the parts a completion lists, as S3 frees the others", async () => {
    const parts = [randomBytes(10_000), randomBytes(20_000), randomBytes(30_000)];
    const upload = await uploadParts(parts);

    const completed = await complete(upload, [upload.parts[0], upload.parts[2]] as Upload["parts"]);

    expect(completed.ETag).toBe(multipartEtag([parts[0], parts[2]] as Buffer[]));
    expect(await read(upload.key)).toEqual(Buffer.concat([parts[0], parts[2]] as Buffer[]));
    const partFiles = (await filesOf(upload.key)).filter((path) => /\/\d+$/.test(path));
    expect(partFiles.map((path) => path.split("/").pop()).sort()).toEqual(["1", "3"]);
  });

  it("replaces a multipart object with a PUT, and a PUT with a multipart object, leaving no parts behind", async () => {
    const parts = [randomBytes(10_000), randomBytes(10_000)];
    const upload = await uploadParts(parts);
    await complete(upload);
    const plain = randomBytes(5_000);

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: upload.key, Body: plain }));

    expect(await read(upload.key)).toEqual(plain);
    expect((await head(upload.key)).ETag).toBe(`"${md5(plain).toString("hex")}"`);
    expect((await filesOf(upload.key)).filter((path) => path.includes("_parts"))).toEqual([]);
    const again = await uploadParts(parts, upload.key);
    await complete(again);
    expect(await read(upload.key)).toEqual(Buffer.concat(parts));
    expect((await head(upload.key)).ETag).toBe(multipartEtag(parts));
  });

  it("copies a multipart object into a plain one with the same bytes, which outlives the source's deletion", async () => {
    const parts = [randomBytes(10_000), randomBytes(10_000)];
    const upload = await uploadParts(parts);
    await complete(upload);
    const copyKey = `models/${randomUUID()}`;

    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: copyKey, CopySource: `${BUCKET}/${upload.key}` }));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: upload.key }));

    expect(await read(copyKey)).toEqual(Buffer.concat(parts));
    expect((await head(copyKey)).ETag).toBe(`"${md5(Buffer.concat(parts)).toString("hex")}"`);
  });

  it("deletes a multipart object with its parts", async () => {
    const upload = await uploadParts([randomBytes(10_000), randomBytes(10_000)]);
    await complete(upload);

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: upload.key }));

    expect(await s3Code(read(upload.key))).toEqual({ code: "NoSuchKey", status: 404 });
    expect(await filesOf(upload.key)).toEqual([]);
  });
});

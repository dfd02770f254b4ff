import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { HeadObjectCommand, ListObjectsV2Command, NotFound, S3Client } from "@aws-sdk/client-s3";
import { ArtifactBucket } from "../../shared/store/artifact-bucket";
import { byUtf8, justBefore, KEYS_PER_RUN, listKeys, type ObjectLister, type ObjectPage } from "../../shared/store/object-listing";

/** A content address, as the registry names objects. */
const keyOf = (seed: string) => `artifacts/sha256/${createHash("sha256").update(seed).digest("hex")}`;
const keys = (count: number, tag: string) => Array.from({ length: count }, (_, i) => keyOf(`${tag}-${i}`));
const sizeOf = (key: string) => Number.parseInt(key.slice(-4), 16);

/** ListObjectsV2 over a fixed set of keys, as S3 documents it, remembering each page asked for. */
function bucketHolding(stored: readonly string[]): ObjectLister & { pages: { prefix: string; startAfter: string; maxKeys: number }[] } {
  const sorted = [...stored].sort(byUtf8);
  const pages: { prefix: string; startAfter: string; maxKeys: number }[] = [];
  return {
    pages,
    async list(prefix, startAfter, maxKeys): Promise<ObjectPage> {
      pages.push({ prefix, startAfter, maxKeys });
      const after = sorted.filter((key) => key.startsWith(prefix) && byUtf8(key, startAfter) > 0);
      const objects = after.slice(0, maxKeys).map((key) => ({ key, sizeBytes: sizeOf(key) }));
      return { objects, truncated: after.length > maxKeys };
    },
  };
}

describe("listKeys", () => {
  it("resolves a version's keys in a bucket holding only them with one page per run, each starting just before its run's first key", async () => {
    const wanted = keys(250, "file");
    const missing = new Set([wanted[7], wanted[120], wanted[249]]);
    const bucket = bucketHolding(wanted.filter((key) => !missing.has(key)));

    const found = await listKeys(bucket, wanted, 48);

    expect(wanted.map((key) => found.get(key))).toEqual(
      wanted.map((key) => (missing.has(key) ? undefined : { key, sizeBytes: sizeOf(key) })),
    );
    const runs = [...wanted].sort(byUtf8);
    expect(bucket.pages.map((page) => page.startAfter).sort()).toEqual(
      [runs[0], runs[KEYS_PER_RUN], runs[2 * KEYS_PER_RUN]].map((key) => justBefore(key as string)).sort(),
    );
    expect(bucket.pages.every((page) => page.prefix.startsWith("artifacts/sha256/"))).toBe(true);
  });

  it("walks a run over further pages, from just before its first key left, when the bucket holds more objects around its keys", async () => {
    const wanted = keys(100, "file");
    const bucket = bucketHolding([...wanted.slice(1), ...keys(500, "other")]);

    const found = await listKeys(bucket, wanted, 48);

    expect(found.get(wanted[0] as string)).toBeUndefined();
    expect(wanted.slice(1).every((key) => found.get(key) !== undefined && found.get(key) !== "head")).toBe(true);
    expect(bucket.pages.length).toBeGreaterThan(1);
    // Each page after the first starts just before the first key the earlier ones left unresolved.
    const sorted = [...wanted].sort(byUtf8);
    for (const page of bucket.pages.slice(1)) expect(sorted.map(justBefore)).toContain(page.startAfter);
  });

  it("leaves a run's keys to HEADs once its pages resolve too few of them", async () => {
    const wanted = keys(100, "file");
    const bucket = bucketHolding([...wanted, ...keys(20_000, "other")]);

    const found = await listKeys(bucket, wanted, 48);

    const verdicts = [...found.values()];
    expect(verdicts.filter((verdict) => verdict === "head").length).toBeGreaterThan(90);
    expect(verdicts.filter((verdict) => verdict !== "head").every((verdict) => verdict !== undefined)).toBe(true);
    expect(bucket.pages).toHaveLength(1);
  });

  it("leaves a run to HEADs when a truncated page lists nothing", async () => {
    const wanted = keys(3, "file");
    const empty: ObjectLister = { list: async () => ({ objects: [], truncated: true }) };

    const found = await listKeys(empty, wanted, 48);

    expect([...found.values()]).toEqual(["head", "head", "head"]);
  });
});

describe("ArtifactBucket.storedObjects", () => {
  const s3 = mockClient(S3Client);
  const bucket = new ArtifactBucket(new S3Client({ region: "us-east-1" }), "artifacts", {
    uploadUrlExpirySeconds: 900,
    clock: () => new Date(),
  });
  const [plain, signed, composite, absent] = keys(4, "object").sort(byUtf8) as [string, string, string, string];
  const sha256Of = (key: string) => Buffer.from(key.slice(-64), "hex").toString("base64");

  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({
      IsTruncated: false,
      Contents: [
        { Key: plain, Size: 10, ChecksumAlgorithm: ["CRC64NVME"], ChecksumType: "FULL_OBJECT" },
        { Key: signed, Size: 20, ChecksumAlgorithm: ["SHA256"], ChecksumType: "FULL_OBJECT" },
        { Key: composite, Size: 30, ChecksumAlgorithm: ["SHA256"], ChecksumType: "COMPOSITE" },
      ],
    });
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: "Not Found", $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Key: signed }).resolves({
      ContentLength: 20,
      ChecksumSHA256: sha256Of(signed),
      ChecksumType: "FULL_OBJECT",
    });
  });

  it("reads sizes from the listing alone, with no HEAD, even for an object whose listing names a full-object SHA-256", async () => {
    const stored = await bucket.storedObjects([plain, signed, composite, absent], 48);

    expect(Object.fromEntries(stored)).toEqual({
      [plain]: { sizeBytes: 10 },
      [signed]: { sizeBytes: 20 },
      [composite]: { sizeBytes: 30 },
      [absent]: undefined,
    });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it("HEADs the keys of a run too sparse to list, with the full-object SHA-256 a HEAD reports", async () => {
    s3.on(ListObjectsV2Command).resolves({ IsTruncated: true, Contents: [] });

    const stored = await bucket.storedObjects([plain, signed, absent], 48);

    expect(Object.fromEntries(stored)).toEqual({
      [plain]: undefined,
      [signed]: { sizeBytes: 20, sha256: signed.slice(-64) },
      [absent]: undefined,
    });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(3);
  });
});

import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createS3Client } from "../../shared/s3-client";
import { DEFAULT_UPLOAD_SETTINGS, loadConfig, type RegistryConfig } from "../../shared/config";
import { GiB, MiB, TiB, base64ToHex, hexToBase64, partCoverage, planUpload } from "../../shared/domain/artifacts";
import { ValidationError } from "../../shared/domain/errors";
import { ArtifactBucket } from "../../shared/store/artifact-bucket";
import { ArtifactDownloads } from "../../shared/store/artifact-downloads";
import { artifactDeclaration } from "../../shared/schemas/artifact";
import { registerVersionBody } from "../../shared/schemas/version";

const now = new Date("2026-11-22T10:00:00.000Z");
const config: RegistryConfig = {
  ...loadConfig({ TABLE_NAME: "registry", BUCKET_NAME: "artifacts-bucket", UPLOAD_URL_EXPIRY_SECONDS: "600" }),
};
const bucket = new ArtifactBucket(createS3Client(config), config.bucketName, {
  uploadUrlExpirySeconds: config.uploads.urlExpirySeconds,
  clock: () => now,
});
const sha256 = createHash("sha256").update("model bytes").digest("hex");
const signedHeaders = (url: string) => new URL(url).searchParams.get("X-Amz-SignedHeaders")?.split(";") ?? [];

describe("presigned upload URLs", () => {
  it("sign x-amz-checksum-sha256 as a header, hand it back in base64, and carry no stray CRC32 or SDK checksum algorithm", async () => {
    const put = await bucket.presignPut(`artifacts/sha256/${sha256}`, sha256);

    const url = new URL(put.url);
    expect(signedHeaders(put.url)).toContain("x-amz-checksum-sha256");
    expect(signedHeaders(put.url)).toContain("if-none-match");
    const query = [...url.searchParams.keys()].map((k) => k.toLowerCase());
    expect(query).not.toContain("x-amz-checksum-sha256");
    expect(query).not.toContain("x-amz-checksum-crc32");
    expect(query).not.toContain("x-amz-sdk-checksum-algorithm");
    expect(put.url).not.toMatch(/crc32/i);
    expect(put.headers).toEqual({ "x-amz-checksum-sha256": hexToBase64(sha256), "if-none-match": "*" });
    expect(url.pathname).toBe(`/artifacts/sha256/${sha256}`);
  });

  it("sign each part's own digest the same way", async () => {
    const part = await bucket.presignPart(`artifacts/sha256/${sha256}`, "upload-1", 7, sha256);

    const url = new URL(part.url);
    expect(signedHeaders(part.url)).toContain("x-amz-checksum-sha256");
    expect(url.searchParams.get("partNumber")).toBe("7");
    expect(url.searchParams.get("uploadId")).toBe("upload-1");
    expect([...url.searchParams.keys()].map((k) => k.toLowerCase())).not.toContain("x-amz-sdk-checksum-algorithm");
    expect(part.url).not.toMatch(/crc32/i);
    expect(part.headers).toEqual({ "x-amz-checksum-sha256": hexToBase64(sha256) });
  });

  it("expire after UPLOAD_URL_EXPIRY_SECONDS, and say when", async () => {
    const put = await bucket.presignPut(`artifacts/sha256/${sha256}`, sha256);

    expect(new URL(put.url).searchParams.get("X-Amz-Expires")).toBe("600");
    expect(new URL(put.url).searchParams.get("X-Amz-Date")).toBe("20261122T100000Z");
    expect(bucket.uploadUrlsExpireAt()).toBe("2026-11-22T10:10:00.000Z");
  });

  it("default to 15 minutes and refuse an expiry SigV4 cannot sign", () => {
    expect(loadConfig({ TABLE_NAME: "registry" }).uploads).toEqual(DEFAULT_UPLOAD_SETTINGS);
    expect(DEFAULT_UPLOAD_SETTINGS).toEqual({ urlExpirySeconds: 900, maxArtifactBytes: 5 * TiB });
    expect(() => loadConfig({ TABLE_NAME: "registry", UPLOAD_URL_EXPIRY_SECONDS: "604801" })).toThrow(/UPLOAD_URL_EXPIRY_SECONDS/);
    expect(() => loadConfig({ TABLE_NAME: "registry", MAX_ARTIFACT_BYTES: String(5 * TiB + 1) })).toThrow(/MAX_ARTIFACT_BYTES/);
  });

  it("download with a 15-minute GET that names the file", async () => {
    const downloads = new ArtifactDownloads(createS3Client(config), config.bucketName, () => now);

    const get = await downloads.presignGet(`artifacts/sha256/${sha256}`, "model.tar.gz", "application/gzip");

    const url = new URL(get.url);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(url.searchParams.get("response-content-disposition")).toBe('attachment; filename="model.tar.gz"');
    expect(get.expiresAt).toBe("2026-11-22T10:15:00.000Z");
  });
});

describe("planning an upload", () => {
  it("sends 1 byte and up to 64 MiB with one PUT", () => {
    expect(planUpload(1)).toEqual({ method: "PUT" });
    expect(planUpload(64 * MiB)).toEqual({ method: "PUT" });
  });

  it("splits 64 MiB + 1 byte into 8 MiB parts", () => {
    expect(planUpload(64 * MiB + 1)).toEqual({ method: "MULTIPART", partSizeBytes: 8 * MiB, partCount: 9 });
  });

  it("keeps 100 GiB under 10,000 parts with whole-MiB parts", () => {
    const plan = planUpload(100 * GiB);
    expect(plan).toEqual({ method: "MULTIPART", partSizeBytes: 11 * MiB, partCount: 9310 });
  });

  it("fits 5 TiB, S3's largest object, into at most 10,000 parts of at most 5 GiB", () => {
    const plan = planUpload(5 * TiB);
    expect(plan).toEqual({ method: "MULTIPART", partSizeBytes: 525 * MiB, partCount: 9987 });
    expect(525 * MiB * 9986).toBeLessThan(5 * TiB);
  });

  it("takes the client's part size when S3 allows it, and explains when it does not", () => {
    expect(planUpload(100 * MiB, 5 * MiB)).toEqual({ method: "MULTIPART", partSizeBytes: 5 * MiB, partCount: 20 });
    expect(() => planUpload(100 * MiB, 5 * MiB - 1)).toThrow(ValidationError);
    expect(() => planUpload(100 * GiB, 5 * MiB)).toThrow(/at most 10,000; this artifact needs at least/);
    expect(() => planUpload(6 * GiB, 5 * GiB + 1)).toThrow(ValidationError);
  });

  it("names missing and twice-named parts when completing", () => {
    expect(partCoverage(4, [1, 2, 2, 4])).toEqual({ missing: [3], duplicates: [2] });
    expect(partCoverage(2, [2, 1])).toEqual({ missing: [], duplicates: [] });
  });

  it("converts between the API's hex digests and S3's base64", () => {
    expect(hexToBase64(sha256)).toBe(createHash("sha256").update("model bytes").digest("base64"));
    expect(base64ToHex(hexToBase64(sha256))).toBe(sha256);
  });
});

describe("an artifact declaration", () => {
  const valid = { filename: "model.tar.gz", sizeBytes: 10, sha256 };
  const problems = (artifact: Record<string, unknown>) =>
    artifactDeclaration.safeParse({ ...valid, ...artifact }).error?.issues.map((i) => i.path.join("."));

  it("refuses 0 bytes, a sha256 that is not 64 hex characters, and file names with a path", () => {
    expect(problems({ sizeBytes: 0 })).toEqual(["sizeBytes"]);
    expect(problems({ sha256: sha256.slice(1) })).toEqual(["sha256"]);
    expect(problems({ sha256: `${sha256.slice(1)}g` })).toEqual(["sha256"]);
    for (const filename of ["../model.bin", "dir/model.bin", "dir\\model.bin", "..", 'a"b'])
      expect(problems({ filename }), filename).toEqual(["filename"]);
    expect(
      problems({
        parts: [
          { partNumber: 1, sha256 },
          { partNumber: 1, sha256 },
        ],
      }),
    ).toEqual(["parts"]);
    expect(problems({})).toBeUndefined();
  });

  it("takes uppercase hex digests, for the file and its parts, and keeps them lowercase", () => {
    const upper = sha256.toUpperCase();
    expect(artifactDeclaration.parse({ ...valid, sha256: upper, parts: [{ partNumber: 1, sha256: upper }] })).toMatchObject({
      sha256,
      parts: [{ partNumber: 1, sha256 }],
    });
    const lineage = { datasets: [{ id: "fraud_training", sha256: upper }] };
    expect(registerVersionBody.parse({ source: "s3://b/k", lineage }).lineage.datasets).toEqual([{ id: "fraud_training", sha256 }]);
  });

  it("is the alternative to source: exactly one of them", () => {
    const both = registerVersionBody.safeParse({ source: "s3://b/k", artifact: valid });
    const neither = registerVersionBody.safeParse({});
    expect(both.success).toBe(false);
    expect(neither.success).toBe(false);
    expect(registerVersionBody.safeParse({ artifact: valid }).success).toBe(true);
    expect(registerVersionBody.safeParse({ source: "s3://b/k" }).success).toBe(true);
  });
});

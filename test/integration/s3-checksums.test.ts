import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";
import { runQueued, storeAt, taskQueue } from "../support/verification";
import { SINGLE_PUT_MAX_BYTES, artifactObjectKey, hexToBase64 } from "../../shared/domain/artifacts";
import { ArtifactBucket } from "../../shared/store/artifact-bucket";
import { ArtifactReads } from "../../shared/store/artifact-reads";
import { byUtf8 } from "../../shared/store/object-listing";
import { registerVersionBody } from "../../shared/schemas/version";
import { HEADS_AT_ONCE } from "../../shared/use-cases/artifact-uploads";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { getVersion } from "../../shared/use-cases/get-version";
import { registerVersion } from "../../shared/use-cases/register-version";

/**
 * What AWS's S3 adds to s3rver: a single PUT's object carries the full-object SHA-256 its URL signed.
 * The table is DynamoDB Local; S3 is mocked where it reports checksums (listing pages, HEADs), and
 * s3rver where bytes are read.
 */
const ci = roleCaller("training-ci", "req-checksums");
const registry = useTestRegistry();

/** Reports checksums as AWS's S3 does: `checksums` per key (absent: COMPOSITE, as a multipart object's), every key in `sizes` listed. */
const aws = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
const s3 = mockClient(aws);
let sizes = new Map<string, number>();
let checksums = new Map<string, string>();

beforeEach(() => {
  s3.reset();
  sizes = new Map();
  checksums = new Map();
  s3.on(ListObjectsV2Command).callsFake(({ Prefix = "", StartAfter = "", MaxKeys = 1000 }) => {
    const after = [...sizes.keys()].filter((key) => key.startsWith(Prefix) && byUtf8(key, StartAfter) > 0).sort(byUtf8);
    return {
      IsTruncated: after.length > MaxKeys,
      Contents: after.slice(0, MaxKeys).map((Key) => ({
        Key,
        Size: sizes.get(Key),
        ChecksumAlgorithm: ["SHA256"],
        ChecksumType: checksums.has(Key) ? "FULL_OBJECT" : "COMPOSITE",
      })),
    };
  });
  s3.on(HeadObjectCommand).callsFake(({ Key }) => {
    const sha256 = checksums.get(Key);
    return sha256
      ? { ContentLength: sizes.get(Key), ChecksumSHA256: hexToBase64(sha256), ChecksumType: "FULL_OBJECT" }
      : { ContentLength: sizes.get(Key), ChecksumSHA256: "AAAA-2", ChecksumType: "COMPOSITE" };
  });
  s3.on(DeleteObjectCommand).resolves({});
});

/** Each of `count` files single PUTs to AWS: listed, with S3's checksum of the declared digest. */
function storedInAws(count: number): { path: string; sizeBytes: number; sha256: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const file = { path: `shards/${i}.bin`, sizeBytes: 1024 + i, sha256: sha256(randomBytes(32)) };
    sizes.set(artifactObjectKey(file.sha256), file.sizeBytes);
    checksums.set(artifactObjectKey(file.sha256), file.sha256);
    return file;
  });
}

/** The registry's dependencies with the artifacts bucket (its listing pages and HEADs) answered by the mocked S3. */
const withAwsBucket = () => ({
  ...registry.deps,
  verifications: taskQueue(),
  artifacts: new ArtifactBucket(aws, registry.config.bucketName, { uploadUrlExpirySeconds: 900, clock: () => new Date() }),
});

/** The registry's dependencies whose verifier HEADs the mocked S3 and reads bytes from s3rver, counting its ranged GETs. */
function withAwsHeads() {
  const reads = { ranged: 0 };
  const real = registry.deps.artifactReads;
  const artifactReads = Object.assign(Object.create(new ArtifactReads(aws, registry.config.bucketName)) as ArtifactReads, {
    readRange: (key: string, start: number, end: number) => {
      reads.ranged++;
      return real.readRange(key, start, end);
    },
  });
  return { deps: { ...registry.deps, verifications: taskQueue(), artifactReads }, reads };
}

async function registerFiles(files: { path: string; sizeBytes: number; sha256: string }[]): Promise<string> {
  const name = uniqueModelName("llm_finetune");
  await registerVersion(registry.deps, name, registerVersionBody.parse({ files }), ci);
  return name;
}

describe("completing with S3's full-object checksums", () => {
  it("completes a version of 49 single PUTs from listing pages, with no HEAD, and queues a verification task per file", async () => {
    const name = await registerFiles(storedInAws(HEADS_AT_ONCE + 1));
    const deps = withAwsBucket();

    const completed = await completeUpload(deps, name, { number: 1 }, undefined, ci);

    expect(completed.status).toBe("VERIFYING");
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(ListObjectsV2Command).length).toBeGreaterThan(0);
    expect(deps.verifications.waiting).toHaveLength(HEADS_AT_ONCE + 1);
  });

  it("HEADs each object of a 48-file version of single PUTs and settles it READY in the answer, with no task", async () => {
    const name = await registerFiles(storedInAws(HEADS_AT_ONCE));
    const deps = withAwsBucket();

    const completed = await completeUpload(deps, name, { number: 1 }, undefined, ci);

    expect(completed.status).toBe("READY");
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(HEADS_AT_ONCE);
    expect(deps.verifications.waiting).toHaveLength(0);
  });
});

describe("verifying a file whose object S3 checked", () => {
  /** A single artifact uploaded to s3rver (which keeps no checksum) and completed: VERIFYING, its task queued. */
  async function completedOnS3rver(): Promise<{ name: string; bytes: Buffer; key: string }> {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(64 * 1024);
    const declared = { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes) };
    const registered = await registerVersion(registry.deps, name, registerVersionBody.parse({ artifact: declared }), ci);
    await putBytes(singlePut(registered.upload), bytes);
    return { name, bytes, key: artifactObjectKey(declared.sha256) };
  }

  async function verifiedWith(name: string) {
    const { deps, reads } = withAwsHeads();
    expect((await completeUpload(deps, name, { number: 1 }, undefined, ci)).status).toBe("VERIFYING");
    const outcomes = await runQueued(deps);
    return { outcomes, reads, version: await getVersion(deps, name, { number: 1 }) };
  }

  it("settles the file from the declared full-object SHA-256 its HEAD reports, without a ranged GET: READY", async () => {
    const { name, bytes, key } = await completedOnS3rver();
    sizes.set(key, bytes.length);
    checksums.set(key, sha256(bytes));

    const { outcomes, reads, version } = await verifiedWith(name);

    expect(outcomes).toEqual(["checked"]);
    expect(reads.ranged).toBe(0);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(version.status).toBe("READY");
  });

  it("fails the file whose HEAD reports another full-object SHA-256, naming it with both digests, without a ranged GET", async () => {
    const { name, bytes, key } = await completedOnS3rver();
    const other = sha256(randomBytes(32));
    sizes.set(key, bytes.length);
    checksums.set(key, other);

    const { outcomes, reads, version } = await verifiedWith(name);

    expect(outcomes).toEqual(["checked"]);
    expect(reads.ranged).toBe(0);
    expect(version.status).toBe("FAILED");
    expect(version.artifact?.failureReason).toBe(
      `model.bin: sha256 mismatch: ${sha256(bytes)} was declared, the stored bytes hash to ${other}`,
    );
  });

  it("hashes the file whose HEAD reports no full-object SHA-256 (a multipart object's composite one), as before: READY", async () => {
    const { name, bytes, key } = await completedOnS3rver();
    sizes.set(key, bytes.length);

    const { outcomes, reads, version } = await verifiedWith(name);

    expect(outcomes).toEqual(["hashed"]);
    expect(reads.ranged).toBeGreaterThan(0);
    expect(version.status).toBe("READY");
  });

  it("HEADs only the file of a single PUT: the file uploaded in parts (a composite checksum) is hashed without one, READY", async () => {
    const name = uniqueModelName("llm_finetune");
    const single = randomBytes(64 * 1024);
    const inParts = randomBytes(SINGLE_PUT_MAX_BYTES + 1);
    const files = [
      { path: "config.json", sizeBytes: single.length, sha256: sha256(single) },
      { path: "model.safetensors", sizeBytes: inParts.length, sha256: sha256(inParts) },
    ];
    await registerVersion(registry.deps, name, registerVersionBody.parse({ files }), ci);
    // Both stored in s3rver (an object already there needs no parts named); the mocked S3 reports the single PUT's checksum.
    for (const bytes of [single, inParts]) {
      await storeAt(registry, sha256(bytes), bytes);
      sizes.set(artifactObjectKey(sha256(bytes)), bytes.length);
    }
    checksums.set(artifactObjectKey(sha256(single)), sha256(single));

    const { outcomes, version } = await verifiedWith(name);

    expect(outcomes.sort()).toEqual(["checked", "hashed"]);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).toEqual([artifactObjectKey(sha256(single))]);
    expect(version.status).toBe("READY");
  });
});

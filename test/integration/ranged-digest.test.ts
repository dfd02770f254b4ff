import { describe, expect, it } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { sha256 } from "../support/fixtures";
import { useTestRegistry } from "../support/registry";
import { MiB } from "../../shared/domain/artifacts";
import { createS3Client } from "../../shared/s3-client";
import { continueDigest, type DigestProgress } from "../../shared/store/ranged-digest";

const registry = useTestRegistry();

describe("continueDigest over s3rver's ranged GETs", () => {
  it("hashes an object in stretches of parallel ranged GETs to its SHA-256", async () => {
    const bytes = randomBytes(9 * MiB + 17);
    const key = `test/${randomUUID()}`;
    await createS3Client(registry.config).send(new PutObjectCommand({ Bucket: registry.config.bucketName, Key: key, Body: bytes }));
    const read = (start: number, end: number) => registry.deps.artifactReads.readRange(key, start, end);

    let progress: DigestProgress = { offset: 0 };
    const offsets: number[] = [];
    for (;;) {
      const step = await continueDigest(read, bytes.length, progress, { chunkBytes: MiB, concurrency: 2, budgetSpent: () => true });
      if (step.done) {
        expect(step.sha256).toBe(sha256(bytes));
        break;
      }
      offsets.push(step.offset);
      progress = step;
    }
    expect(offsets).toEqual([2, 4, 6, 8].map((n) => n * MiB));
  });
});

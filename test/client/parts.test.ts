import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GiB, MiB } from "../../shared/domain/artifacts";
import { hashFile, partRange, planParts } from "../../client/parts";
import { UsageError } from "../../client/errors";

describe("planParts: the registry's own part plan", () => {
  it("plans an empty file as one PUT (a directory may hold one), and refuses a size that is no size before any request", () => {
    expect(planParts(0)).toEqual({ method: "PUT", partSizeBytes: 1, partCount: 1 });
    expect(() => planParts(-1)).toThrow(UsageError);
    expect(() => planParts(1.5)).toThrow(UsageError);
  });

  it.each([
    ["1 byte", 1, { method: "PUT", partSizeBytes: 1, partCount: 1 }],
    ["8 MiB", 8 * MiB, { method: "PUT", partSizeBytes: 8 * MiB, partCount: 1 }],
    ["64 MiB, the largest single PUT", 64 * MiB, { method: "PUT", partSizeBytes: 64 * MiB, partCount: 1 }],
    ["64 MiB + 1", 64 * MiB + 1, { method: "MULTIPART", partSizeBytes: 8 * MiB, partCount: 9 }],
    ["100 GiB: the smallest whole MiB under 10,000 parts", 100 * GiB, { method: "MULTIPART", partSizeBytes: 11 * MiB, partCount: 9310 }],
  ])("plans %s", (_, size, plan) => {
    expect(planParts(size)).toEqual(plan);
  });

  it("takes a part size of the caller's choosing, and refuses one S3 would", () => {
    expect(planParts(64 * MiB + 1, 5 * MiB)).toEqual({ method: "MULTIPART", partSizeBytes: 5 * MiB, partCount: 13 });
    expect(() => planParts(64 * MiB + 1, 4 * MiB)).toThrow(/5 MiB to 5 GiB/);
  });

  it("gives each part its byte range, the last one shorter", () => {
    const plan = planParts(64 * MiB + 1);
    expect(partRange(plan, 64 * MiB + 1, 1)).toEqual({ start: 0, end: 8 * MiB });
    expect(partRange(plan, 64 * MiB + 1, 9)).toEqual({ start: 64 * MiB, end: 64 * MiB + 1 });
  });
});

describe("hashFile: one read, whole-file and per-part digests", () => {
  it("matches sha256 of the whole file and of each slice", async () => {
    const dir = await mkdtemp(join(tmpdir(), "registry-client-hash-"));
    try {
      // Parts of 1 MiB + 7 bytes: boundaries fall inside the reader's 1 MiB chunks.
      const bytes = randomBytes(3 * MiB + 100);
      const file = join(dir, "model.bin");
      await writeFile(file, bytes);
      const plan = { method: "MULTIPART" as const, partSizeBytes: MiB + 7, partCount: 4 };
      const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

      const digests = await hashFile(file, plan);

      expect(digests.sha256).toBe(sha(bytes));
      expect(digests.sizeBytes).toBe(bytes.length);
      expect(digests.parts).toEqual(
        [0, 1, 2, 3].map((i) => ({ partNumber: i + 1, sha256: sha(bytes.subarray(i * (MiB + 7), (i + 1) * (MiB + 7))) })),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

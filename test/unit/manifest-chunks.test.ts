import { describe, expect, it } from "vitest";
import { MAX_FILES_PER_COMMIT, commitSlots, type ManifestFile } from "../../shared/store/entities/manifest";
import { MAX_FILES_PER_CHUNK, cutIntoChunks } from "../../shared/store/entities/manifest-chunk";

const file = (i: number, inParts = false): ManifestFile => ({
  path: `shards/part-${i}.bin`,
  sizeBytes: inParts ? 100 * 1024 * 1024 : 10,
  sha256: i.toString(16).padStart(64, "0"),
  contentType: "application/octet-stream",
  key: `artifacts/sha256/${i}`,
  ...(inParts ? { partSizeBytes: 64 * 1024 * 1024, partCount: 2 } : {}),
});

describe("cutIntoChunks", () => {
  it("cuts 10,000 files into a first chunk that rides with the version and chunks of 97 after it, in the order declared", () => {
    const files = Array.from({ length: 10_000 }, (_, i) => file(i));

    const chunks = cutIntoChunks("sharded", 1, files);

    expect(chunks.map((chunk) => chunk.files.length)).toEqual([
      MAX_FILES_PER_COMMIT,
      ...Array.from({ length: 102 }, () => MAX_FILES_PER_CHUNK),
      10_000 - MAX_FILES_PER_COMMIT - 102 * MAX_FILES_PER_CHUNK,
    ]);
    expect(chunks.map((chunk) => chunk.first)).toEqual(
      chunks.map((_, i) => (i === 0 ? 0 : MAX_FILES_PER_COMMIT + (i - 1) * MAX_FILES_PER_CHUNK)),
    );
    expect(chunks.flatMap((chunk) => chunk.files)).toEqual(files);
  });

  it("counts a file in parts twice (its part digests take an action of their own)", () => {
    const files = Array.from({ length: 300 }, (_, i) => file(i, i % 2 === 1));

    const chunks = cutIntoChunks("sharded", 1, files);

    expect(commitSlots(chunks[0]?.files ?? [])).toBe(MAX_FILES_PER_COMMIT);
    for (const chunk of chunks.slice(1, -1)) expect(commitSlots(chunk.files)).toBeGreaterThanOrEqual(MAX_FILES_PER_CHUNK - 1);
    for (const chunk of chunks.slice(1)) expect(commitSlots(chunk.files)).toBeLessThanOrEqual(MAX_FILES_PER_CHUNK);
  });
});

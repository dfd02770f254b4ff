import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { sha256 } from "../support/fixtures";
import { continueDigest, type DigestProgress, type RangeReader } from "../../shared/store/ranged-digest";

const bytes = randomBytes(1_000_003); // not a multiple of the chunk size nor of SHA-256's 64-byte block

/** Reads from `bytes`, answering in reverse order of asking: the hash must still take them in file order. */
function shuffledReader(source: Buffer): RangeReader & { ranges: [number, number][] } {
  const ranges: [number, number][] = [];
  let pending: (() => void)[] = [];
  const reader = (start: number, end: number) => {
    ranges.push([start, end]);
    return new Promise<Uint8Array[]>((resolve) => {
      pending.unshift(() => resolve(pieces(source.subarray(start, end))));
      queueMicrotask(() => {
        const answer = pending;
        pending = [];
        for (const give of answer) give();
      });
    });
  };
  return Object.assign(reader, { ranges });
}

/** `bytes` in the pieces a response arrives in: here, halves. */
const pieces = (bytes: Buffer): Buffer[] => [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];

const spentAfter = (stretches: number) => {
  let calls = 0;
  return () => ++calls > stretches;
};

describe("continueDigest: a resumable SHA-256 over ranged reads", () => {
  it("hashed in three stretches with the state saved and restored between them equals a one-pass SHA-256", async () => {
    const options = { chunkBytes: 64 * 1024, concurrency: 3 };
    let progress: DigestProgress = { offset: 0 };
    const stretches: number[] = [];
    for (let stretch = 0; stretch < 3; stretch++) {
      const budgetSpent = stretch === 2 ? () => false : spentAfter(2);
      const step = await continueDigest(shuffledReader(bytes), bytes.length, progress, { ...options, budgetSpent });
      if (step.done) {
        expect(stretch).toBe(2);
        expect(step.sha256).toBe(sha256(bytes));
        return;
      }
      expect(Buffer.from(step.state, "base64").length).toBeLessThan(512);
      stretches.push(step.offset);
      progress = step;
    }
    throw new Error(`never finished: stopped at ${stretches.join(", ")}`);
  });

  it("moves on by the chunks already in flight when the budget is spent from the start", async () => {
    const reader = shuffledReader(bytes);
    const step = await continueDigest(reader, bytes.length, { offset: 0 }, { chunkBytes: 1000, concurrency: 4, budgetSpent: () => true });
    expect(step).toMatchObject({ done: false, offset: 4000 });
    expect(reader.ranges).toEqual([
      [0, 1000],
      [1000, 2000],
      [2000, 3000],
      [3000, 4000],
    ]);
  });

  it("saves progress every checkpointBytes, each checkpoint resuming to the right digest", async () => {
    const checkpoints: DigestProgress[] = [];
    await continueDigest(
      shuffledReader(bytes),
      bytes.length,
      { offset: 0 },
      {
        chunkBytes: 100_000,
        concurrency: 2,
        budgetSpent: () => false,
        checkpointBytes: 300_000,
        checkpoint: async (progress) => void checkpoints.push(progress),
      },
    );
    expect(checkpoints.map((c) => c.offset)).toEqual([300_000, 600_000, 900_000]);
    const resumed = await continueDigest(shuffledReader(bytes), bytes.length, checkpoints[1] as DigestProgress, {
      chunkBytes: 100_000,
      concurrency: 2,
      budgetSpent: () => false,
    });
    expect(resumed).toEqual({ done: true, sha256: sha256(bytes) });
  });

  it("refuses a short read instead of hashing the wrong bytes", async () => {
    const short: RangeReader = async (start, end) => pieces(bytes.subarray(start, Math.min(end, 500)));
    await expect(
      continueDigest(short, bytes.length, { offset: 0 }, { chunkBytes: 1000, concurrency: 1, budgetSpent: () => false }),
    ).rejects.toThrow(/got 500 bytes/);
  });

  it("hashes an empty object without reading it", async () => {
    const reader = shuffledReader(Buffer.alloc(0));
    expect(await continueDigest(reader, 0, { offset: 0 }, { chunkBytes: 1000, concurrency: 4, budgetSpent: () => false })).toEqual({
      done: true,
      sha256: sha256(Buffer.alloc(0)),
    });
    expect(reader.ranges).toEqual([]);
  });

  it("hashed in one go, takes the chunks in file order to the same digest and saves no checkpoint", async () => {
    const checkpoints: DigestProgress[] = [];
    const step = await continueDigest(
      shuffledReader(bytes),
      bytes.length,
      { offset: 0 },
      {
        chunkBytes: 100_000,
        concurrency: 3,
        budgetSpent: () => false,
        checkpointBytes: 0,
        checkpoint: async (progress) => void checkpoints.push(progress),
        inOneGo: true,
      },
    );
    expect(step).toEqual({ done: true, sha256: sha256(bytes) });
    expect(checkpoints).toEqual([]);
  });

  it("hashed in one go but out of budget, ends at byte 0 with a saved state its follow-up resumes from", async () => {
    const options = { chunkBytes: 100_000, concurrency: 2 };
    const stopped = await continueDigest(
      shuffledReader(bytes),
      bytes.length,
      { offset: 0 },
      { ...options, budgetSpent: () => true, inOneGo: true },
    );
    expect(stopped).toMatchObject({ done: false, offset: 0, state: expect.any(String) });

    const resumed = await continueDigest(shuffledReader(bytes), bytes.length, stopped as DigestProgress, {
      ...options,
      budgetSpent: () => false,
    });
    expect(resumed).toEqual({ done: true, sha256: sha256(bytes) });
  });

  it("refuses to hash in one go a digest that was saved part way", async () => {
    const paused = await continueDigest(
      shuffledReader(bytes),
      bytes.length,
      { offset: 0 },
      { chunkBytes: 1000, concurrency: 1, budgetSpent: () => true },
    );
    await expect(
      continueDigest(shuffledReader(bytes), bytes.length, paused as DigestProgress, {
        chunkBytes: 1000,
        concurrency: 1,
        budgetSpent: () => false,
        inOneGo: true,
      }),
    ).rejects.toThrow(/cannot be hashed in one go/);
  });
});

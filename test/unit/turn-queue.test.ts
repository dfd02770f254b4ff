import { describe, expect, it } from "vitest";
import { awaitTurn } from "../../shared/store/turn-queue";
import { modelItem } from "../support/mocked-store";

/** A clock that only sleeps and reads move; each read of the model takes `readMs` and sees `servedAt(now)` as it began. */
function queue(servedAt: (now: number) => number, readMs = 5) {
  let now = 0;
  const sleeps: number[] = [];
  let reads = 0;
  return {
    clock: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      now: () => now,
    },
    read: async () => {
      reads++;
      const served = servedAt(now);
      now += readMs;
      return modelItem({ served });
    },
    sleeps,
    reads: () => reads,
  };
}

describe("waiting for a turn in a model's queue", () => {
  it("answers the model as first read when every earlier ticket's turn has ended, without sleeping", async () => {
    const q = queue(() => 4);

    const model = await awaitTurn(q.clock, q.read, 5, 100, Infinity);

    expect(model?.served).toBe(4);
    expect(q.reads()).toBe(1);
    expect(q.sleeps).toEqual([]);
  });

  it("sleeps half the turns ahead of it but the two next in line, with the turn learnt from the queue, and reads at once near the head", async () => {
    // A turn ends every 10 ms; ticket 21 waits for 20 of them. Its first guess of a turn is two reads (10 ms).
    const q = queue((now) => Math.floor(now / 10));

    const model = await awaitTurn(q.clock, q.read, 21, 100, Infinity);

    expect(model?.served).toBe(20);
    expect(q.sleeps.slice(0, 3)).toEqual([90, 45, 20]);
    expect(Math.max(...q.sleeps.slice(3))).toBeLessThanOrEqual(5);
    // Turn 20 ended at 200 ms: it saw so within a read and a short sleep, so the model stood idle no longer.
    expect(q.clock.now()).toBeGreaterThan(200);
    expect(q.clock.now()).toBeLessThanOrEqual(200 + 5 + 5);
  });

  it("goes anyway once the queue has not moved for four turns (its head is gone), counting a turn as at least the arrival", async () => {
    const q = queue(() => 3);

    const model = await awaitTurn(q.clock, q.read, 10, 40, Infinity);

    expect(model?.served).toBe(3);
    expect(q.clock.now()).toBeGreaterThan(4 * 40);
    expect(q.clock.now()).toBeLessThanOrEqual(4 * 40 + 5 + 20 + 5);
  });

  it("goes at the deadline", async () => {
    const q = queue(() => 3);

    await awaitTurn(q.clock, q.read, 10, 1_000, 50);

    expect(q.clock.now()).toBeGreaterThanOrEqual(50);
    expect(q.clock.now()).toBeLessThan(100);
  });
});

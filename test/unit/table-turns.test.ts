import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { awaitTurn, type QueueClock } from "../../shared/store/table-turns";

/** Fake timers drive both the waiter's sleeps and the queue it watches: no real time passes. */
const clock: QueueClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
const LOOK_MS = 10;

/** The model's queue as the table holds it: served up to `served`, one read of it taking LOOK_MS. */
function queue(served: number) {
  const state = { served, looks: 0 };
  const look = async () => {
    state.looks++;
    await clock.sleep(LOOK_MS);
    return { served: state.served };
  };
  return { state, look };
}

/** Holders that each serve their ticket `turnMs` after the previous one, up to `last` (later tickets' holders are dead or absent). */
function holdersServing(state: { served: number }, turnMs: number, last: number): void {
  const serveNext = () => {
    if (state.served >= last) return;
    state.served++;
    setTimeout(serveNext, turnMs);
  };
  setTimeout(serveNext, turnMs);
}

/** The waiter's answer, and when (on the fake clock) it came. */
const answeredAt = <T>(waiting: Promise<T>) => waiting.then((seen) => ({ seen, at: Date.now() }));

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("waiting for a turn in the model's queue", () => {
  it("goes at once, after a single look, when every earlier ticket has been served", async () => {
    const { state, look } = queue(4);

    const waiting = awaitTurn(look, clock, { ticket: 5, deadline: 60_000 });
    await vi.runAllTimersAsync();

    await expect(waiting).resolves.toEqual({ served: 4 });
    expect([state.looks, Date.now()]).toEqual([1, LOOK_MS]);
  });

  it("waits while the tickets ahead are served, finds its turn soon after the last of them, and looks a few times only", async () => {
    const { state, look } = queue(0);
    holdersServing(state, 100, 19);

    const waiting = answeredAt(awaitTurn(look, clock, { ticket: 20, deadline: 60_000 }));
    await vi.runAllTimersAsync();

    const { seen, at: foundAt } = await waiting;
    expect(seen).toEqual({ served: 19 });
    // Ticket 19 was served at 1,900 ms: the waiter notices within about a third of a turn and one look.
    expect(foundAt).toBeGreaterThanOrEqual(1_900);
    expect(foundAt).toBeLessThanOrEqual(1_900 + 100 / 3 + 2 * LOOK_MS);
    // Sleeping in proportion to the turns ahead, not looking every few milliseconds for 1.9 s.
    expect(state.looks).toBeLessThanOrEqual(12);
  });

  it("goes ahead when the holder before it is dead: once its queue has not moved for four turns, not before", async () => {
    const { look } = queue(3);

    const waiting = answeredAt(awaitTurn(look, clock, { ticket: 5, deadline: 60_000 }));
    await vi.runAllTimersAsync();

    const { seen, at: foundAt } = await waiting;
    expect(seen).toEqual({ served: 3 });
    // Before the queue moves, a turn is taken to last two looks (20 ms): four of them, with the ticket 4 ahead.
    expect(foundAt).toBeGreaterThanOrEqual(4 * 2 * LOOK_MS);
    expect(foundAt).toBeLessThan(4 * 2 * LOOK_MS + 2 * LOOK_MS);
  });

  it("behind a dead holder, lets the next ticket go first and waits for it, rather than all going at once", async () => {
    const { state, look } = queue(3);
    const found: { ticket: number; at: number; served: number }[] = [];
    const wait = (ticket: number) =>
      awaitTurn(look, clock, { ticket, deadline: 60_000 }).then(async (seen) => {
        found.push({ ticket, at: Date.now(), served: seen.served });
        // Its change: a read, a plan and a commit that serves its ticket.
        await clock.sleep(30);
        state.served = Math.max(state.served, ticket);
      });

    const waiting = Promise.all([wait(5), wait(6), wait(7)]);
    await vi.runAllTimersAsync();
    await waiting;

    // Ticket 4's holder never serves it: 5 goes ahead on its own, then 6 and 7 each in their turn.
    expect(found.map(({ ticket, served }) => [ticket, served])).toEqual([
      [5, 3],
      [6, 5],
      [7, 6],
    ]);
    expect(found[1]!.at).toBeGreaterThanOrEqual(found[0]!.at + 30);
  });

  it("stops waiting at the deadline, however far back it is", async () => {
    const { look } = queue(0);

    const waiting = awaitTurn(look, clock, { ticket: 40, deadline: 500 });
    await vi.runAllTimersAsync();

    await expect(waiting).resolves.toEqual({ served: 0 });
    expect(Date.now()).toBeLessThanOrEqual(500 + LOOK_MS);
  });
});

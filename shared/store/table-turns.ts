/**
 * Turns across processes: the queue of a model's contended changes, kept in the table. A change
 * that lost a commit to another process takes a ticket (entities/turn-tickets.ts) and waits until
 * every earlier ticket has been served, instead of re-planning and colliding again at once: with
 * n contenders, each then commits about once rather than each losing to all the others in turn.
 *
 * The queue only schedules. The model's revision still decides every commit; a waiter whose
 * queue does not move for a while (the holder's process died or stalled) goes ahead anyway.
 */

/** One read of the model as the queue sees it: how many tickets have been served. */
export interface QueueLook {
  readonly served: number;
}

/** The clock a waiter measures and sleeps by (the commit engine's retry policy's). */
export interface QueueClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface TurnWait {
  readonly ticket: number;
  /** When to stop waiting whatever the queue says (the change's own deadline). */
  readonly deadline: number;
}

/**
 * Until the queue's pace is measured, a turn (a read, a plan, a commit) is taken to last this many
 * of the waiter's own first look: the table's speed under the load of the moment, where the
 * contended attempt's own duration would count every contender's work at once.
 */
const LOOKS_PER_TURN_ESTIMATE = 2;
/** The queue's pace is measured over this many turns before it is trusted over the first estimate (and slept by). */
const PACED_TURNS = 2;
/** The next in line looks this many times per turn: how late, at most, it notices its turn. */
const LOOKS_PER_TURN = 3;
/** Further back, a waiter sleeps this share of the turns ahead of it (less half the holder's). */
const SLEEP_SHARE = 0.6;
/** A queue that has not moved for this many turns per ticket ahead is held by a stalled or dead process. */
const STALLED_TURNS = 4;

/**
 * Waits for `ticket`'s turn, looking at the queue with `look` (a read of the model): first at once,
 * then after a sleep in proportion to the tickets still ahead times the length of a turn, as
 * estimated from that first look and then as measured from the queue's own pace.
 * Returns the look that found the turn (every earlier ticket served), found the queue stalled, or
 * passed the deadline: the caller plans from that read.
 */
export async function awaitTurn<L extends QueueLook>(look: () => Promise<L>, clock: QueueClock, wait: TurnWait): Promise<L> {
  const firstAt = clock.now();
  let seen = await look();
  const pace = new Pace(LOOKS_PER_TURN_ESTIMATE * (clock.now() - firstAt));
  let movedAt = firstAt;
  for (;;) {
    const ahead = wait.ticket - 1 - seen.served;
    const now = clock.now();
    if (ahead <= 0 || now >= wait.deadline || now - movedAt >= STALLED_TURNS * pace.turnMs(now) * ahead) return seen;
    await clock.sleep(Math.min(pace.sleepMs(ahead, now), wait.deadline - now));
    const next = await look();
    if (next.served > seen.served) {
      movedAt = clock.now();
      pace.moved(next.served, movedAt);
    }
    seen = next;
  }
}

/** How long a turn of the queue lasts: estimated, then measured from the moves a waiter sees. */
class Pace {
  private first?: { served: number; at: number };
  private served = 0;

  constructor(private readonly estimateMs: number) {}

  moved(served: number, at: number): void {
    this.first ??= { served, at };
    this.served = served;
  }

  /** Measured once the queue has moved a few turns since this waiter first saw it move; the estimate until then. */
  turnMs(now: number): number {
    const turns = this.first ? this.served - this.first.served : 0;
    return this.first && turns >= PACED_TURNS ? (now - this.first.at) / turns : this.estimateMs;
  }

  /**
   * Sleeps through a share of the turns ahead, less than the whole turns that must pass first (the
   * holder's may be nearly done), so that a waiter never sleeps through its own; next in line, looks
   * a few times per turn.
   */
  sleepMs(ahead: number, now: number): number {
    return Math.max(1 / LOOKS_PER_TURN, (ahead - 0.5) * SLEEP_SHARE) * this.turnMs(now);
  }
}

import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { entrySize, MAX_BYTES_PER_CALL, MAX_ENTRIES_PER_CALL } from "./model-events";
import { runsThatFit } from "../runs";

/** Why an entry never made it onto the bus, after how many PutEvents attempts. */
export interface PutFailure {
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
}

export interface RetryPolicy {
  /** PutEvents attempts per entry, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** A few quick attempts: what still fails goes to the dead-letter queue rather than holding up the shard. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

type EntryError = Omit<PutFailure, "attempts">;

/** What became of a put: why each entry that never went through failed (by index), and how many entries were put again. */
export interface PutOutcome {
  readonly failures: Map<number, PutFailure>;
  readonly retried: number;
}

/** PutEvents within EventBridge's limits, putting again the entries a call reports as failed. */
export class EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * Puts `entries` in as few calls as the limits allow (≤ 10 entries, ≤ 256 KB each call); entries
   * that fail (per-entry ErrorCode, or the whole call throwing) are put again with jittered
   * exponential backoff. Returns, by index into `entries`, why each entry that never went through failed,
   * and how many entries had to be put again.
   */
  async put(entries: readonly PutEventsRequestEntry[]): Promise<PutOutcome> {
    const failures = new Map<number, PutFailure>();
    const retried = new Set<number>();
    let pending: number[] = [];
    for (const [index, entry] of entries.entries()) {
      const size = entrySize(entry);
      if (size > MAX_BYTES_PER_CALL)
        failures.set(index, {
          code: "EntryTooLarge",
          message: `The entry is ${size} bytes; PutEvents takes at most ${MAX_BYTES_PER_CALL}.`,
          attempts: 0,
        });
      else pending.push(index);
    }
    for (let attempt = 1; pending.length > 0 && attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(backoff(attempt - 1, this.retry));
        for (const index of pending) retried.add(index);
      }
      const failedNow: number[] = [];
      for (const batch of batches(pending, entries)) {
        const errors = await this.putBatch(batch.map((index) => entries[index] as PutEventsRequestEntry));
        for (const [i, index] of batch.entries()) {
          const error = errors[i];
          if (!error) {
            failures.delete(index);
            continue;
          }
          failures.set(index, { ...error, attempts: attempt });
          failedNow.push(index);
        }
      }
      pending = failedNow;
    }
    return { failures, retried: retried.size };
  }

  /** One PutEvents call: the error of each entry, or undefined for those that went through. */
  private async putBatch(entries: PutEventsRequestEntry[]): Promise<(EntryError | undefined)[]> {
    try {
      const { Entries: results = [] } = await this.client.send(new PutEventsCommand({ Entries: entries }));
      return entries.map((_, i) => {
        const result = results[i];
        if (result?.ErrorCode) return { code: result.ErrorCode, message: result.ErrorMessage ?? result.ErrorCode };
        return result?.EventId ? undefined : { code: "MissingResult", message: "PutEvents returned no result for this entry." };
      });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return entries.map(() => ({ code: name, message }));
    }
  }
}

/** Consecutive runs of `indexes` that fit one PutEvents call, in order. */
function batches(indexes: readonly number[], entries: readonly PutEventsRequestEntry[]): number[][] {
  const sizeOf = (index: number) => entrySize(entries[index] as PutEventsRequestEntry);
  return runsThatFit(
    indexes,
    (run, next) =>
      run.length < MAX_ENTRIES_PER_CALL && run.reduce((bytes, index) => bytes + sizeOf(index), sizeOf(next)) <= MAX_BYTES_PER_CALL,
  );
}

/** Full jitter: a random delay up to base × 2^(retry−1), capped. */
function backoff(retry: number, policy: RetryPolicy): number {
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
}

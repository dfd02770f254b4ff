import type { RetryPolicy } from "./model-change";

/**
 * Rounds in a row in which DynamoDB processes none of a batch's requests before the batch gives
 * up: five waits, at most 2 s each. Every other round processes at least one of them.
 */
export const STALLED_ROUNDS = 6;

/** How long to wait before sending unprocessed requests again: the store's retry policy (model-change.ts). */
export type BatchBackoff = Pick<RetryPolicy, "backoffMs" | "sleep" | "now">;

/** DynamoDB left a batch's requests unprocessed round after round: the table's capacity stayed exhausted. */
export class UnprocessedRequestsError extends Error {
  override readonly name = "UnprocessedRequests";
}

/**
 * Sends a batch (BatchGetItem's keys, BatchWriteItem's writes) in rounds: each sends what the one
 * before left unprocessed (throttled, or past the call's size limit), after a wait that grows round
 * by round, as AWS recommends for both (exponential backoff; here the store's decorrelated jitter,
 * capped at 2 s). `send` answers the requests it left unprocessed. Gives up with
 * UnprocessedRequestsError, saying `stalled(left, round)`, after STALLED_ROUNDS rounds in a row that
 * processed none of theirs.
 */
export async function sendInRounds<R>(
  batch: readonly R[],
  send: (requests: readonly R[]) => Promise<readonly R[]>,
  backoff: BatchBackoff,
  stalled: (left: number, round: number) => string,
): Promise<void> {
  let left = batch;
  let stalledRounds = 0;
  let previousMs = 0;
  for (let round = 1; ; round++) {
    const started = backoff.now();
    const unprocessed = await send(left);
    if (unprocessed.length === 0) return;
    stalledRounds = unprocessed.length < left.length ? 0 : stalledRounds + 1;
    if (stalledRounds === STALLED_ROUNDS) throw new UnprocessedRequestsError(stalled(left.length, round));
    previousMs = backoff.backoffMs({ attempt: round, attemptMs: backoff.now() - started, previousMs });
    await backoff.sleep(previousMs);
    left = unprocessed;
  }
}

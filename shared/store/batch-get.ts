import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { mapConcurrently } from "../runs";
import type { TableAccess } from "./item-reader";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./model-change";

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
/** BatchGetItem calls in flight at once: 10,000 keys in 7 rounds, within the SDK's 50 sockets. */
const BATCH_GETS_AT_ONCE = 16;
/**
 * Rounds in a row in which DynamoDB processes none of the keys asked before a batch gives up: five
 * waits, at most 2 s each. Every other round processes at least one of the batch's ≤ 100 keys.
 */
export const STALLED_ROUNDS = 6;

type Key = { pk: string; sk: string };

/** How long to wait before asking again for unprocessed keys: the store's retry policy (model-change.ts). */
export type BatchGetBackoff = Pick<RetryPolicy, "backoffMs" | "sleep" | "now">;

/** DynamoDB left a batch's keys unprocessed round after round: the table's read capacity stayed exhausted. */
export class UnprocessedKeysError extends Error {
  override readonly name = "UnprocessedKeys";
}

/**
 * The items of these keys that exist, in no order: BatchGetItem, 100 keys a call, a few calls at
 * once, unprocessed keys asked again with backoff (see getBatch).
 */
export async function batchGet<T>(
  table: TableAccess,
  keys: readonly Key[],
  fromItem: (item: Record<string, unknown>) => T,
  { consistent, backoff = DEFAULT_RETRY_POLICY }: { consistent: boolean; backoff?: BatchGetBackoff },
): Promise<T[]> {
  const batches = Array.from({ length: Math.ceil(keys.length / BATCH_GET_KEYS) }, (_, i) =>
    keys.slice(i * BATCH_GET_KEYS, (i + 1) * BATCH_GET_KEYS),
  );
  const found = await mapConcurrently(batches, BATCH_GETS_AT_ONCE, (batch) => getBatch(table, batch, fromItem, { consistent, backoff }));
  return found.flat();
}

/**
 * One batch's items, in rounds: each asks for the keys the one before left unprocessed (throttled,
 * or past 16 MB), after a wait that grows round by round, as AWS recommends for BatchGetItem
 * (exponential backoff; here the store's decorrelated jitter, capped at 2 s). Gives up with
 * UnprocessedKeysError after STALLED_ROUNDS rounds in a row that processed none of their keys.
 */
async function getBatch<T>(
  { dynamo, tableName }: TableAccess,
  batch: Key[],
  fromItem: (item: Record<string, unknown>) => T,
  { consistent, backoff }: { consistent: boolean; backoff: BatchGetBackoff },
): Promise<T[]> {
  const items: T[] = [];
  let left = batch;
  let stalled = 0;
  let previousMs = 0;
  for (let round = 1; ; round++) {
    const started = backoff.now();
    const output = await dynamo.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: left, ConsistentRead: consistent } } }));
    items.push(...(output.Responses?.[tableName] ?? []).map(fromItem));
    const unprocessed = (output.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    if (unprocessed.length === 0) return items;
    stalled = unprocessed.length < left.length ? 0 : stalled + 1;
    if (stalled === STALLED_ROUNDS) {
      throw new UnprocessedKeysError(
        `BatchGetItem on ${tableName} processed none of ${left.length} keys ${STALLED_ROUNDS} times in a row; gave up after ${round} rounds.`,
      );
    }
    previousMs = backoff.backoffMs({ attempt: round, attemptMs: backoff.now() - started, previousMs });
    await backoff.sleep(previousMs);
    left = unprocessed;
  }
}

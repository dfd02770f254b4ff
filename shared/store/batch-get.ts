import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { mapConcurrently } from "../runs";
import type { TableAccess } from "./item-reader";
import { sendInRounds, STALLED_ROUNDS, type BatchBackoff } from "./batch-rounds";
import { DEFAULT_RETRY_POLICY } from "./model-change";

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
/** BatchGetItem calls in flight at once: 10,000 keys in 7 rounds, within the SDK's 50 sockets. */
const BATCH_GETS_AT_ONCE = 16;
type Key = { pk: string; sk: string };

/**
 * The items of these keys that exist, in no order: BatchGetItem, 100 keys a call, a few calls at
 * once, unprocessed keys asked again with backoff (see getBatch).
 */
export async function batchGet<T>(
  table: TableAccess,
  keys: readonly Key[],
  fromItem: (item: Record<string, unknown>) => T,
  { consistent, backoff = DEFAULT_RETRY_POLICY }: { consistent: boolean; backoff?: BatchBackoff },
): Promise<T[]> {
  const batches = Array.from({ length: Math.ceil(keys.length / BATCH_GET_KEYS) }, (_, i) =>
    keys.slice(i * BATCH_GET_KEYS, (i + 1) * BATCH_GET_KEYS),
  );
  const found = await mapConcurrently(batches, BATCH_GETS_AT_ONCE, (batch) => getBatch(table, batch, fromItem, { consistent, backoff }));
  return found.flat();
}

/** One batch's items, its unprocessed keys asked again in rounds (sendInRounds). */
async function getBatch<T>(
  { dynamo, tableName }: TableAccess,
  batch: Key[],
  fromItem: (item: Record<string, unknown>) => T,
  { consistent, backoff }: { consistent: boolean; backoff: BatchBackoff },
): Promise<T[]> {
  const items: T[] = [];
  await sendInRounds(
    batch,
    async (keys) => {
      const output = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: [...keys], ConsistentRead: consistent } } }),
      );
      items.push(...(output.Responses?.[tableName] ?? []).map(fromItem));
      return (output.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    },
    backoff,
    (left, round) =>
      `BatchGetItem on ${tableName} processed none of ${left} keys ${STALLED_ROUNDS} times in a row; gave up after ${round} rounds.`,
  );
  return items;
}

import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { mapConcurrently } from "../runs";
import type { TableAccess } from "./item-reader";

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
/** BatchGetItem calls in flight at once: 10,000 keys in 7 rounds, within the SDK's 50 sockets. */
const BATCH_GETS_AT_ONCE = 16;

/** The items of these keys that exist, in no order: BatchGetItem, 100 keys a call, a few calls at once, unprocessed keys asked again. */
export async function batchGet<T>(
  { dynamo, tableName }: TableAccess,
  keys: readonly { pk: string; sk: string }[],
  fromItem: (item: Record<string, unknown>) => T,
  { consistent }: { consistent: boolean },
): Promise<T[]> {
  const batches = Array.from({ length: Math.ceil(keys.length / BATCH_GET_KEYS) }, (_, i) =>
    keys.slice(i * BATCH_GET_KEYS, (i + 1) * BATCH_GET_KEYS),
  );
  const found = await mapConcurrently(batches, BATCH_GETS_AT_ONCE, async (batch) => {
    const items: T[] = [];
    for (let left = batch; left.length > 0; ) {
      const output = await dynamo.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: left, ConsistentRead: consistent } } }));
      items.push(...(output.Responses?.[tableName] ?? []).map(fromItem));
      left = (output.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof left;
    }
    return items;
  });
  return found.flat();
}

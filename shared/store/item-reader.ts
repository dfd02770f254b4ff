import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "../zod";

/** A stored item this release cannot read: an unknown schema version, or attributes not as its entity writes them. */
export class UnreadableItemError extends Error {
  override readonly name = "UnreadableItem";
}

/**
 * The `fromItem` of an entity: checks the item's schema version, then its attributes, and returns it
 * typed. Reading a later release's item (a higher version) fails with a message that says so,
 * rather than passing it on half understood. The schema is built on the first item read, not at
 * module load: a cold start builds no reader of what its first request does not read.
 */
export function itemReader<T>(
  entity: string,
  schemaVersion: number,
  schemaOf: () => z.ZodMiniType<T>,
): (item: Record<string, unknown>) => T {
  let schema: z.ZodMiniType<T> | undefined;
  return (item) => {
    const where = `${String(item.pk)}/${String(item.sk)}`;
    if (item.schemaVersion !== schemaVersion) {
      throw new UnreadableItemError(
        `Item ${where} is ${entity} schema version ${String(item.schemaVersion)}; this release reads version ${schemaVersion} only.`,
      );
    }
    const parsed = z.safeParse((schema ??= schemaOf()), item);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new UnreadableItemError(`Item ${where} is not a readable ${entity} item: ${problems}`);
  };
}

/** The attributes every item carries, for an entity's schema. */
export const itemBase = (entity: string, schemaVersion: number) => ({
  pk: z.string(),
  sk: z.string(),
  entity: z.literal(entity),
  schemaVersion: z.literal(schemaVersion),
});

/** The table a store module reads and writes, through the process's document client. */
export interface TableAccess {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** One item by its key, read strongly consistent and checked by its entity's `fromItem`; undefined when there is none. */
export async function readItem<T>(
  table: TableAccess,
  key: { pk: string; sk: string },
  fromItem: (item: Record<string, unknown>) => T,
): Promise<T | undefined> {
  const { Item } = await table.dynamo.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }));
  return Item && fromItem(Item);
}

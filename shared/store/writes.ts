import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

/**
 * One write of a transaction as an entity module builds it: a Put, Update, Delete or ConditionCheck
 * without its table. The store adds the table, so no builder (and no use case) names it.
 */
export type Write = { [K in keyof TransactItem]?: Omit<NonNullable<TransactItem[K]>, "TableName"> };

/** The write in DynamoDB's own form, in `tableName`. */
export function inTable(tableName: string, write: Write): TransactItem {
  return Object.fromEntries(Object.entries(write).map(([kind, operation]) => [kind, { ...operation, TableName: tableName }]));
}

/** A condition in the shape every write takes, so it spreads into one. */
export interface Condition {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

export interface ExpectOptions {
  /** The value's placeholder (default `:<attribute>`). */
  readonly as?: string;
  /**
   * What `null` (nothing seen) asserts: the item is absent (default), or only the attribute is,
   * for an attribute an existing item may lack.
   */
  readonly absent?: "item" | "attribute";
}

/**
 * "The item is still what I read": `attribute` equals `seen`, or, when nothing was seen (`null`),
 * the item (or the attribute) is absent. The compare-and-set every optimistic write rests on.
 */
export function expect(attribute: string, seen: string | number | null, options: ExpectOptions = {}): Condition {
  if (seen === null) return { ConditionExpression: `attribute_not_exists(${options.absent === "attribute" ? attribute : "pk"})` };
  const placeholder = options.as ?? `:${attribute}`;
  return { ConditionExpression: `${attribute} = ${placeholder}`, ExpressionAttributeValues: { [placeholder]: seen } };
}

/** Every condition at once (placeholders must not collide). */
export function allOf(...conditions: readonly Condition[]): Condition {
  const names = Object.assign({}, ...conditions.map((c) => c.ExpressionAttributeNames));
  const values = Object.assign({}, ...conditions.map((c) => c.ExpressionAttributeValues));
  return {
    ConditionExpression: conditions.map((c) => c.ConditionExpression).join(" AND "),
    // DynamoDB refuses an empty map: leave a map out rather than send it empty.
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** True when the write went through, false when its condition failed. */
export async function unlessConditionFails(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

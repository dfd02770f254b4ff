import { paginateQuery, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { TableAccess } from "./item-reader";

/** The first item a filtered Query matches, strongly consistent, read page after page until one does (a filter may leave pages empty). */
export async function firstMatch(
  { dynamo, tableName }: TableAccess,
  input: Omit<QueryCommandInput, "TableName" | "ConsistentRead">,
): Promise<Record<string, unknown> | undefined> {
  for await (const page of paginateQuery({ client: dynamo }, { ...input, TableName: tableName, ConsistentRead: true })) {
    const [first] = page.Items ?? [];
    if (first) return first;
  }
  return undefined;
}

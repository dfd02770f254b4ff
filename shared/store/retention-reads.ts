import { paginateQuery, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { retentionFromItem, retentionKey, type RetentionItem } from "./entities/retention";
import { VERSION_SORT_PREFIX, liveVersionFromItem, type VersionItem } from "./entities/version";
import { readItem } from "./item-reader";
import { modelPartition } from "./keys";

/**
 * What retention reads: a model's rules, and every version a plan is decided from (housekeeping's
 * runs, the query function's preview). Apart from the registry store, so that the functions that
 * never touch retention carry none of it.
 */
export class RetentionReads {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Every version of a model, strongly consistent, but those being removed: what a retention plan is decided from. */
  async allVersions(name: string): Promise<VersionItem[]> {
    const versions: VersionItem[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX },
        ConsistentRead: true,
      },
    );
    for await (const page of pages)
      versions.push(...(page.Items ?? []).map(liveVersionFromItem).filter((version) => version !== undefined));
    return versions;
  }

  /** The model's retention rules. */
  getRetention(name: string): Promise<RetentionItem | undefined> {
    return readItem({ dynamo: this.dynamo, tableName: this.tableName }, retentionKey(name), retentionFromItem);
  }
}

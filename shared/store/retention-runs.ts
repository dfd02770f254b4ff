import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { RETENTION_INDEX_PARTITION, retentionFromItem, stampApplied, type RetentionItem } from "./entities/retention";
import { unlessConditionFails } from "./writes";

/**
 * Housekeeping's queue of models with retention rules, and its record of each run. Apart from the
 * registry store, so that only the housekeeping function carries it.
 */
export class RetentionRuns {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Up to `limit` models with retention rules, least recently applied first: the RETENTION index partition, one Query. */
  async retentionQueue(limit: number): Promise<RetentionItem[]> {
    const { Items = [] } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :retention",
        ExpressionAttributeValues: { ":retention": RETENTION_INDEX_PARTITION },
        Limit: limit,
      }),
    );
    return Items.map(retentionFromItem);
  }

  /** Records that housekeeping applied the model's rules `at`: the model goes to the end of the queue (its rules, if removed meanwhile, stay removed). */
  async stampRetentionApplied(name: string, at: string): Promise<void> {
    await unlessConditionFails(this.dynamo.send(new UpdateCommand({ ...stampApplied(name, at), TableName: this.tableName })));
  }
}

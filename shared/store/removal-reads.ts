import { QueryCommand, paginateQuery, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { approvalsPrefix } from "./entities/approval";
import { CHECKPOINT_ENTITY } from "./entities/checkpoint";
import { verificationTallyFromItem, verificationTallyKey, versionFilesRange } from "./entities/file-verification";
import { HISTORY_ENTITY } from "./entities/history";
import { MODEL_ENTITY } from "./entities/model";
import { TURN_TICKETS_ENTITY } from "./entities/turn-tickets";
import { VERSION_SORT_PREFIX, versionFromItem, type VersionItem } from "./entities/version";
import { firstMatch } from "./first-match";
import { readItem } from "./item-reader";
import { modelPartition } from "./keys";
import type { Write } from "./writes";

/**
 * What deleting a version or a model reads to plan its writes: the versions left, whether one is
 * still promoted or protected, and the items a removal takes along. Apart from the registry store,
 * so that only the functions that delete (artifacts, housekeeping) carry them.
 */
export class RemovalReads {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The model's lowest-numbered versions, up to `limit` (strongly consistent: a deletion removes them from the front). */
  async firstVersions(name: string, limit: number): Promise<VersionItem[]> {
    const { Items = [] } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return Items.map(versionFromItem);
  }

  /** Whether some version of the model has `value` in `attribute` now (strongly consistent: a deletion is decided on it). */
  async hasVersionWhere(name: string, attribute: "status" | "protected", value: string | boolean): Promise<boolean> {
    const found = await firstMatch(
      { dynamo: this.dynamo, tableName: this.tableName },
      {
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        FilterExpression: "#attribute = :value",
        ExpressionAttributeNames: { "#attribute": attribute },
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX, ":value": value },
        ProjectionExpression: "pk",
      },
    );
    return found !== undefined;
  }

  /**
   * The deletes of every item in the model's partition but the model item, its history, its
   * checkpoints and its turn tickets: what a model's deletion removes once its versions are gone
   * (aliases, the policy, file verifications, and any kind of item added later). History and
   * checkpoints stay for the audit trail; the tickets count on with the tombstone's served turn.
   */
  async *partitionLeftovers(name: string): AsyncGenerator<Write> {
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "NOT (#entity IN (:model, :history, :checkpoint, :turnTickets))",
        ExpressionAttributeNames: { "#entity": "entity" },
        ExpressionAttributeValues: {
          ":pk": modelPartition(name),
          ":model": MODEL_ENTITY,
          ":history": HISTORY_ENTITY,
          ":checkpoint": CHECKPOINT_ENTITY,
          ":turnTickets": TURN_TICKETS_ENTITY,
        },
        ProjectionExpression: "pk, sk",
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const { pk, sk } of page.Items ?? []) yield { Delete: { Key: { pk, sk } } };
  }

  /**
   * The deletes of up to `limit` items a version owns that its removal's own writes do not name: its
   * approvals, its files' verifications and its verification tally (strongly consistent: its deletion takes them).
   */
  async versionLeftovers(name: string, version: number, limit: number): Promise<Write[]> {
    const keys: Record<string, unknown>[] = [];
    for (const prefix of [approvalsPrefix(version), versionFilesRange(name, version).skPrefix]) {
      if (keys.length >= limit) break;
      const { Items = [] } = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": modelPartition(name), ":prefix": prefix },
          ProjectionExpression: "pk, sk",
          Limit: limit - keys.length,
          ConsistentRead: true,
        }),
      );
      keys.push(...Items);
    }
    if (
      keys.length < limit &&
      (await readItem({ dynamo: this.dynamo, tableName: this.tableName }, verificationTallyKey(name, version), verificationTallyFromItem))
    )
      keys.push(verificationTallyKey(name, version));
    return keys.map(({ pk, sk }) => ({ Delete: { Key: { pk, sk } } }));
  }
}

/**
 * The one table's shape. The CDK stateful stack and the local engines both build the table from this,
 * so a key or index that exists locally exists in AWS too.
 */
export const tableDefinition = {
  partitionKey: "pk",
  sortKey: "sk",
  globalSecondaryIndexes: [{ indexName: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk" }],
  /** History items are the outbox: the publisher reads them from the stream. */
  streamView: "NEW_IMAGE",
  timeToLiveAttribute: "expiresAt",
} as const;

/** Every item carries these; `schemaVersion` lets a later release migrate items lazily. */
export interface ItemBase {
  readonly pk: string;
  readonly sk: string;
  readonly entity: string;
  readonly schemaVersion: number;
}

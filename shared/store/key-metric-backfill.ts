import { BatchWriteCommand, paginateQuery, type BatchWriteCommandInput, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { KeyMetric } from "./entities/model";
import { VERSION_SORT_PREFIX } from "./entities/version";
import { metricIndexItems, metricRange, type MetricIndexItem } from "./entities/metric-index";
import { modelPartition } from "./keys";
import { runsThatFit, mapConcurrently } from "../runs";
import { sendInRounds, STALLED_ROUNDS, type BatchBackoff } from "./batch-rounds";
import { DEFAULT_RETRY_POLICY } from "./model-change";

/** BatchWriteItem takes at most 25 writes. */
const BATCH_WRITES = 25;
/** BatchWriteItem calls in flight at once, as for BatchGetItem (batch-get.ts): within the SDK's 50 sockets. */
const BATCH_WRITES_AT_ONCE = 16;
type WriteRequests = NonNullable<BatchWriteCommandInput["RequestItems"]>[string];

/**
 * Indexes a newly declared key metric for the versions a model already has (PATCH /models/{name},
 * in the catalog function). Apart from the registry store, so that the other functions carry none of it.
 */
export class KeyMetricBackfill {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly backoff: BatchBackoff = DEFAULT_RETRY_POLICY,
  ) {}

  /**
   * Writes the index items of every existing version for these key metrics (BatchWriteItem, a few
   * calls at once, unprocessed writes sent again with backoff: sendInRounds), and deletes those an earlier declaration of them left of versions
   * deleted since (what a model of few versions holds: one item per version number handed out).
   * Idempotent: a version indexed twice holds the same item; a version gone never comes back.
   */
  async indexExistingVersions(name: string, keyMetrics: readonly Pick<KeyMetric, "name">[]): Promise<void> {
    // The index before the versions: an item whose version the later read misses lists one deleted (a registration meanwhile is read).
    const indexed = (await Promise.all(keyMetrics.map((metric) => this.metricIndexKeys(name, metric.name)))).flat();
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :versions)",
        ExpressionAttributeNames: { "#version": "version", "#metrics": "metrics" },
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":versions": VERSION_SORT_PREFIX },
        ProjectionExpression: "#version, #metrics",
        ConsistentRead: true,
      },
    );
    const entries: MetricIndexItem[] = [];
    const existing = new Set<number>();
    for await (const page of pages)
      for (const { version, metrics = {} } of page.Items ?? []) {
        existing.add(version);
        entries.push(...metricIndexItems({ model: name, version, metrics }, keyMetrics));
      }
    await this.batchWrite([
      ...entries.map((Item) => ({ PutRequest: { Item } })),
      ...indexed.filter(({ version }) => !existing.has(version)).map(({ key }) => ({ DeleteRequest: { Key: key } })),
    ]);
  }

  /** The keys of a metric's index items, with the version each lists (strongly consistent). */
  private async metricIndexKeys(name: string, metric: string): Promise<{ key: { pk: string; sk: string }; version: number }[]> {
    const range = metricRange(metric, {});
    const keys: { key: { pk: string; sk: string }; version: number }[] = [];
    const pages = paginateQuery(
      { client: this.dynamo },
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeNames: { "#version": "version" },
        ExpressionAttributeValues: { ":pk": modelPartition(name), ":low": range.low, ":high": range.high },
        ProjectionExpression: "pk, sk, #version",
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const { pk, sk, version } of page.Items ?? []) keys.push({ key: { pk, sk }, version });
    return keys;
  }

  /** Puts and deletes outside any transaction, 25 a request (BatchWriteItem), 16 requests at once, unprocessed ones sent again. */
  private async batchWrite(requests: WriteRequests): Promise<void> {
    const batches = runsThatFit(requests, (batch) => batch.length < BATCH_WRITES);
    await mapConcurrently(batches, BATCH_WRITES_AT_ONCE, (batch) =>
      sendInRounds(
        batch,
        async (writes) => {
          const output = await this.dynamo.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: [...writes] } }));
          return output.UnprocessedItems?.[this.tableName] ?? [];
        },
        this.backoff,
        (left, round) =>
          `BatchWriteItem on ${this.tableName} processed none of ${left} writes ${STALLED_ROUNDS} times in a row; gave up after ${round} rounds.`,
      ),
    );
  }
}

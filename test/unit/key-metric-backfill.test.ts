import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { KeyMetricBackfill } from "../../shared/store/key-metric-backfill";
import { STALLED_ROUNDS, UnprocessedRequestsError } from "../../shared/store/batch-rounds";
import { fakeBatchClock } from "../support/batch-backoff";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const MODEL = "fraud_detector";
type Writes = NonNullable<BatchWriteCommand["input"]["RequestItems"]>[string];

/** A model of `count` versions, each with an auc, and no metric index items yet. */
function versionsWithAuc(count: number): void {
  dynamo.on(QueryCommand).callsFake(async (input) => ({
    Items: String(input.KeyConditionExpression).includes("begins_with")
      ? Array.from({ length: count }, (_, i) => ({ version: i + 1, metrics: { auc: 0.5 + i / 1000 } }))
      : [],
  }));
}

/** DynamoDB leaving the last `unprocessed(call)` writes of each BatchWriteItem call unprocessed; answers the writes it made. */
function answering(clock: { round: () => void }, unprocessed: (call: number, asked: number) => number): Writes {
  const written: Writes = [];
  let call = 0;
  dynamo.on(BatchWriteCommand).callsFake(async (input) => {
    clock.round();
    const asked = input.RequestItems.registry as Writes;
    const processed = asked.length - Math.min(asked.length, unprocessed(++call, asked.length));
    written.push(...asked.slice(0, processed));
    return { UnprocessedItems: processed < asked.length ? { registry: asked.slice(processed) } : {} };
  });
  return written;
}

describe("declaring a key metric indexes the existing versions", () => {
  beforeEach(() => dynamo.reset());

  it("sends the writes DynamoDB left unprocessed again after a wait, each exactly once in the end", async () => {
    const clock = fakeBatchClock();
    versionsWithAuc(60);
    // The first call of each of the three batches (25, 25, 10 writes) leaves its last five unprocessed.
    const written = answering(clock, (call) => (call <= 3 ? 5 : 0));

    await new KeyMetricBackfill(documents, "registry", clock).indexExistingVersions(MODEL, [{ name: "auc" }]);

    const versions = written.map((write) => write.PutRequest?.Item?.version);
    expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(dynamo.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.registry?.length)).toEqual([
      25, 25, 10, 5, 5, 5,
    ]);
    expect(clock.slept).toHaveLength(3);
    for (const wait of clock.slept) expect(wait).toBeGreaterThan(0);
  });

  it(`gives up with UnprocessedRequests after ${STALLED_ROUNDS} rounds in a row that process none of a batch's writes`, async () => {
    const clock = fakeBatchClock();
    versionsWithAuc(3);
    answering(clock, (_, asked) => asked);

    const backfill = new KeyMetricBackfill(documents, "registry", clock).indexExistingVersions(MODEL, [{ name: "auc" }]);

    await expect(backfill).rejects.toThrow(UnprocessedRequestsError);
    await expect(backfill).rejects.toThrow(`processed none of 3 writes ${STALLED_ROUNDS} times in a row`);
    expect(dynamo.commandCalls(BatchWriteCommand)).toHaveLength(STALLED_ROUNDS);
    expect(clock.slept).toEqual([30, 90, 270, 810, 2_000]);
  });
});

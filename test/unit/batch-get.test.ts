import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { batchGet } from "../../shared/store/batch-get";
import { STALLED_ROUNDS, UnprocessedRequestsError } from "../../shared/store/batch-rounds";
import { fakeBatchClock as fakeClock } from "../support/batch-backoff";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const table = { dynamo: documents, tableName: "registry" };

type Key = { pk: string; sk: string };
const keys = (count: number): Key[] => Array.from({ length: count }, (_, i) => ({ pk: `MODEL#m${i}`, sk: "MODEL" }));
const pkOf = (item: Record<string, unknown>) => String(item.pk);

/** DynamoDB answering round `n` with its item for each of the first `processed(n)` keys asked, leaving the rest unprocessed. */
function answering(clock: { round: () => void }, processed: (round: number) => number): void {
  let round = 0;
  dynamo.on(BatchGetCommand).callsFake(async (input) => {
    clock.round();
    const asked = input.RequestItems.registry.Keys as Key[];
    const count = Math.min(asked.length, processed(++round));
    const unprocessed = asked.slice(count);
    return {
      Responses: { registry: asked.slice(0, count) },
      UnprocessedKeys: unprocessed.length ? { registry: { Keys: unprocessed } } : {},
    };
  });
}

const askedCounts = () =>
  dynamo.commandCalls(BatchGetCommand).map((call) => (call.args[0].input.RequestItems?.registry?.Keys ?? []).length);

describe("batchGet", () => {
  beforeEach(() => dynamo.reset());

  it("asks again for the unprocessed keys after a wait that grows each round, and returns the items of every round", async () => {
    const clock = fakeClock();
    answering(clock, (round) => [2, 1, 2][round - 1] ?? 0);

    const items = await batchGet(table, keys(5), pkOf, { consistent: true, backoff: clock });

    expect(items.sort()).toEqual(keys(5).map((key) => key.pk));
    expect(askedCounts()).toEqual([5, 3, 2]);
    expect(clock.slept).toEqual([30, 90]);
  });

  it(`gives up with UnprocessedRequests after ${STALLED_ROUNDS} rounds in a row that process none of the keys`, async () => {
    const clock = fakeClock();
    // DynamoDB would answer on the eleventh round: the batch has given up by then.
    answering(clock, (round) => (round > 10 ? Number.POSITIVE_INFINITY : 0));

    const read = batchGet(table, keys(3), pkOf, { consistent: false, backoff: clock });

    await expect(read).rejects.toThrow(UnprocessedRequestsError);
    await expect(read).rejects.toThrow(`processed none of 3 keys ${STALLED_ROUNDS} times in a row`);
    expect(askedCounts()).toEqual([3, 3, 3, 3, 3, 3]);
    expect(clock.slept).toEqual([30, 90, 270, 810, 2_000]);
  });

  it("counts the stalled rounds again from a round that processes a key, the waits still growing to their cap", async () => {
    const clock = fakeClock();
    // Each sixth round processes one key: never six stalled rounds in a row.
    answering(clock, (round) => (round % STALLED_ROUNDS === 0 ? 1 : 0));

    const items = await batchGet(table, keys(3), pkOf, { consistent: false, backoff: clock });

    expect(items.sort()).toEqual(keys(3).map((key) => key.pk));
    expect(askedCounts()).toHaveLength(3 * STALLED_ROUNDS);
    expect(clock.slept.slice(0, 5)).toEqual([30, 90, 270, 810, 2_000]);
    expect(clock.slept.slice(5)).toEqual(Array(3 * STALLED_ROUNDS - 6).fill(2_000));
  });
});

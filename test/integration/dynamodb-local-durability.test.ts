import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { localCredentials, startDynamoDbLocal } from "../../infra/local/engines";

/**
 * DynamoDB Local answers TransactWriteItems before its SQLite COMMIT runs; `npm start`'s
 * DynamoDB Local (with a data directory) holds the answer until the COMMIT is done, so what a
 * caller was told is written survives a kill -9 of the Java process.
 */

const TABLE = "durability";
const ROUNDS = 2;
const dataDirs: string[] = [];

afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const clientFor = (endpoint: string) => new DynamoDBClient({ endpoint, region: "us-east-1", credentials: localCredentials });

/** 25 items of 10 KB: a COMMIT slow enough that, unguarded, a kill right after the answer nearly always beats it. */
function bigTransaction(round: number): TransactWriteItemsCommand {
  const keys = Array.from({ length: 25 }, (_, i) => `round-${round}-item-${i}`);
  return new TransactWriteItemsCommand({
    TransactItems: keys.map((pk) => ({ Put: { TableName: TABLE, Item: { pk: { S: pk }, payload: { S: "x".repeat(10_000) } } } })),
  });
}

describe("DynamoDB Local with a data directory", () => {
  it("keeps every transaction it acknowledged when its Java process is killed with SIGKILL right after answering", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "registry-durability-"));
    dataDirs.push(dataDir);
    let engine = await startDynamoDbLocal({ dataDir });
    let client = clientFor(engine.endpoint);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );

    const lost: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await client.send(bigTransaction(round));
      process.kill(engine.pid as number, "SIGKILL");
      await engine.stop();
      client.destroy();

      engine = await startDynamoDbLocal({ dataDir });
      client = clientFor(engine.endpoint);
      const { Item } = await client.send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `round-${round}-item-0` } }, ConsistentRead: true }),
      );
      if (!Item) lost.push(round);
    }
    client.destroy();
    await engine.stop();

    expect(lost, "rounds whose acknowledged transaction was gone after the restart").toEqual([]);
  }, 90_000);
});

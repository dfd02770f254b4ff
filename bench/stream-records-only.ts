/**
 * `npx tsx bench/stream-records-only.ts`: why test tables go without a stream. On one DynamoDB
 * Local, times a transaction and a read on a table with a stream and on one without, side by side,
 * then again each time a table with a stream has taken more transactions and been deleted.
 */
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../infra/local/create-table";
import { localCredentials, startDynamoDbLocal } from "../infra/local/engines";

const ROUNDS = 3;
const FILLER_TRANSACTIONS = 2_000;
const PROBES = 200;

const engine = await startDynamoDbLocal();
const client = new DynamoDBClient({ region: "us-east-1", endpoint: engine.endpoint, credentials: localCredentials });
const documents = DynamoDBDocumentClient.from(client);

/** A model item and a history entry, as a commit writes them. */
const commit = (table: string, i: number) =>
  documents.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { pk: "MODEL#m", sk: "MODEL", revision: i } } },
        { Put: { TableName: table, Item: { pk: "MODEL#m", sk: `HISTORY#${i}`, padding: "x".repeat(1_000) } } },
      ],
    }),
  );

/** Milliseconds per commit and consistent read on a fresh table. */
async function probe(table: string, stream: boolean): Promise<number> {
  await ensureTable(client, table, { stream });
  const started = performance.now();
  for (let i = 0; i < PROBES; i++) {
    await commit(table, i);
    await documents.send(new GetCommand({ TableName: table, Key: { pk: "MODEL#m", sk: "MODEL" }, ConsistentRead: true }));
  }
  await client.send(new DeleteTableCommand({ TableName: table }));
  return (performance.now() - started) / PROBES;
}

async function report(label: string, round: number): Promise<void> {
  const [withStream, without] = [await probe(`with-${round}`, true), await probe(`without-${round}`, false)];
  console.log(
    `${label}: ${withStream.toFixed(1)} ms with a stream, ${without.toFixed(1)} ms without (ratio ${(withStream / without).toFixed(2)})`,
  );
}

try {
  await report("warm-up", 0);
  await report("fresh engine", 1);
  for (let round = 1; round <= ROUNDS; round++) {
    await ensureTable(client, "filler");
    for (let i = 0; i < FILLER_TRANSACTIONS; i++) await commit("filler", i);
    await client.send(new DeleteTableCommand({ TableName: "filler" }));
    await report(`after ${round * FILLER_TRANSACTIONS} transactions on a deleted table with a stream`, round + 1);
  }
} finally {
  await engine.stop();
}

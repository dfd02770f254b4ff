import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  QueryCommand,
  ResourceInUseException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "../../shared/store/table";

const stringAttribute = (name: string) => ({ AttributeName: name, AttributeType: "S" as const });

/**
 * Creates the registry table from the shared definition unless it exists (local engines and tests).
 * `stream: false` leaves out the table's stream, which only the event publisher reads: DynamoDB
 * Local makes each write to a table with a stream read the stream records it holds, those of
 * deleted tables too, so writes slow down as records pile up (six times as slow as without a stream
 * after 6,000 transactions: bench/stream-records-only.ts). Tests that do not tail the stream go without it.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: { stream?: boolean } = {}): Promise<void> {
  const { partitionKey, sortKey, globalSecondaryIndexes, streamView } = tableDefinition;
  const keyAttributes = [partitionKey, sortKey, ...globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: keyAttributes.map(stringAttribute),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: "HASH" },
          { AttributeName: sortKey, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: "HASH" },
            { AttributeName: index.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        })),
        ...(options.stream === false ? {} : { StreamSpecification: { StreamEnabled: true, StreamViewType: streamView } }),
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}

/**
 * Keys no entity writes (entities' partitions start with their kind, `MODEL#…`): the warm-up finds
 * nothing there. Each write has one of its own, so that writes sent at once cannot conflict.
 */
const WARM_UP = { S: "#warm-up" };
const WARM_UP_HOLDS = { S: "#warm-up-holds" };
const WARM_UP_FAILS = { S: "#warm-up-fails" };

/**
 * DynamoDB Local makes the first request of each kind on a table pay for what its JVM loads and
 * compiles on first use: a first transaction takes hundreds of milliseconds (and the commit
 * barrier's wait for its COMMIT as much again), a first read tens. This sends each kind the
 * handlers send once, on a key no entity uses, writing nothing: a consistent GetItem, a Query of
 * the table and of each index, a BatchGetItem, an UpdateItem whose condition fails, and a
 * transaction whose condition holds and one whose condition fails, all at once (DynamoDB Local
 * loads for each kind in parallel: one after another took a third longer). Send it through the
 * endpoint the handlers use, so that the commit barrier is warmed too.
 */
export async function warmTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, globalSecondaryIndexes } = tableDefinition;
  const keyOf = (value: { S: string }) => ({ [partitionKey]: value, [sortKey]: value });
  const key = keyOf(WARM_UP);
  const mustExist = `attribute_exists(${partitionKey})`;
  const query = (attribute: string, IndexName?: string) =>
    new QueryCommand({
      TableName: tableName,
      IndexName,
      KeyConditionExpression: "#key = :key",
      ExpressionAttributeNames: { "#key": attribute },
      ExpressionAttributeValues: { ":key": WARM_UP },
      Limit: 1,
    });
  const transaction = (condition: string, value: { S: string }) =>
    new TransactWriteItemsCommand({
      TransactItems: [{ ConditionCheck: { TableName: tableName, Key: keyOf(value), ConditionExpression: condition } }],
    });
  await Promise.all([
    client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })),
    client.send(query(partitionKey)),
    ...globalSecondaryIndexes.map((index) => client.send(query(index.partitionKey, index.indexName))),
    client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: [key], ConsistentRead: true } } })),
    refused(
      client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: "REMOVE #warm",
          ConditionExpression: mustExist,
          ExpressionAttributeNames: { "#warm": "warm" },
        }),
      ),
      ConditionalCheckFailedException,
    ),
    client.send(transaction(`attribute_not_exists(${partitionKey})`, WARM_UP_HOLDS)),
    refused(client.send(transaction(mustExist, WARM_UP_FAILS)), TransactionCanceledException),
  ]);
}

/** Awaits a request that must be refused with `expected`; anything else is an error of the engine. */
async function refused(request: Promise<unknown>, expected: abstract new (...args: never[]) => Error): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (error instanceof expected) return;
    throw error;
  }
  throw new Error(`DynamoDB Local accepted a warm-up request it should have refused with ${expected.name}.`);
}

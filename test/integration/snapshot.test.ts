import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { localCredentials } from "../../infra/local/engines";
import { useTestRegistry } from "../support/registry";

/** The tests' view of "what changed" must be the whole table, however large. */

const registry = useTestRegistry();
let documents: DynamoDBDocumentClient;
beforeAll(() => {
  const { region, endpoints } = registry.config;
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region, endpoint: endpoints.dynamodb, credentials: localCredentials }));
});
afterAll(() => documents.destroy());

describe("the table snapshot of a test registry", () => {
  it("holds every item of a table larger than one Scan page (1 MB)", async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `ITEM#${i}`);
    for (const sk of keys)
      await documents.send(
        new PutCommand({ TableName: registry.config.tableName, Item: { pk: "SNAPSHOT", sk, padding: "x".repeat(300 * 1024) } }),
      );

    const firstPage = await documents.send(new ScanCommand({ TableName: registry.config.tableName, ConsistentRead: true }));
    const items = await registry.items();

    expect(firstPage.LastEvaluatedKey).toBeDefined();
    expect(items.map((item) => item.sk)).toEqual(keys);
  });
});

import { describe, expect, it } from "vitest";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { warmTable } from "../../infra/local/create-table";
import { localCredentials } from "../../infra/local/engines";
import { createModel } from "../../shared/use-cases/create-model";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

describe("warming DynamoDB Local's first requests at npm start", () => {
  const registry = useTestRegistry();

  it("makes each kind of request the handlers send without writing or changing any item, however often it runs", async () => {
    const client = new DynamoDBClient({ region: "us-east-1", endpoint: registry.config.endpoints.dynamodb, credentials: localCredentials });
    try {
      await warmTable(client, registry.config.tableName);
      expect(await registry.items()).toEqual([]);

      await createModel(registry.deps, { name: uniqueModelName() }, roleCaller("training-ci", "req-warm-table"));
      const before = await registry.state();
      await warmTable(client, registry.config.tableName);
      expect(await registry.state()).toEqual(before);
    } finally {
      client.destroy();
    }
  });
});

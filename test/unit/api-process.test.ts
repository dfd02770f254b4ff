import { afterAll, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { loadConfig } from "../../shared/config";
import { composeProcess, createApiHandler } from "../../shared/http/api-handler";
import { loadIdempotency } from "../../shared/http/keyed-writes";
import { createLogger } from "../../shared/logger";
import { lifecycleRoutes } from "../../shared/routes/lifecycle";
import { apiEvent, lambdaContext } from "../support/fixtures";

// The process's one client, as a function's composition root builds it; only this instance is mocked.
const dynamodb = new DynamoDBClient({ region: "us-east-1" });
const sent = mockClient(dynamodb);
afterAll(() => sent.restore());
const config = loadConfig({
  TABLE_NAME: "registry-unit",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  ROLE_BINDINGS: JSON.stringify([{ pattern: "*", roles: ["promoter"] }]),
});

const answer = async () => ({ status: 200, body: { ok: true } });
const handler = createApiHandler(
  "lifecycle",
  lifecycleRoutes,
  { config, dynamodb, logger: createLogger(config), idempotency: loadIdempotency },
  {
    "POST /models/{name}/versions/{v}/transitions": answer,
    "POST /models/{name}/stages/{stage}/rollback": answer,
    "PUT /models/{name}/aliases/{alias}": answer,
    "DELETE /models/{name}/aliases/{alias}": answer,
    "POST /models/{name}/versions/{v}/approvals": answer,
    "PUT /models/{name}/policy": answer,
    "PUT /models/{name}/retention": answer,
    "PUT /models/{name}/versions/{v}/protection": answer,
    "POST /api/2.0/mlflow/model-versions/transition-stage": answer,
    "POST /api/2.0/mlflow/registered-models/alias": answer,
    "DELETE /api/2.0/mlflow/registered-models/alias": answer,
  },
);

describe("an API handler's process", () => {
  it("keeps Idempotency-Key records through the composition root's DynamoDB client, in the configured table", async () => {
    sent.on(PutItemCommand).resolves({});
    sent.on(UpdateItemCommand).resolves({});
    sent.on(DeleteItemCommand).resolves({});
    const event = apiEvent({
      routeKey: "DELETE /models/{name}/aliases/{alias}",
      pathParameters: { name: "fraud_detector", alias: "champion" },
      headers: { "idempotency-key": "key-1" },
    });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(200);
    const stored = sent.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.TableName).toBe("registry-unit");
    expect(stored[0]?.Item?.pk).toEqual({ S: "IDEMPOTENCY" });
  });

  it("builds the function's dependencies from the very config, DynamoDB client, logger and metrics the handler is given", () => {
    vi.stubEnv("TABLE_NAME", "registry-composed");
    try {
      const build = vi.fn((...resources: unknown[]) => resources);

      const composed = composeProcess(build);

      expect(build).toHaveBeenCalledOnce();
      expect(composed.config.tableName).toBe("registry-composed");
      const [config, client, logger, metrics] = composed.deps;
      expect(config).toBe(composed.config);
      expect(client).toBe(composed.dynamodb);
      expect(logger).toBe(composed.logger);
      expect(metrics).toBe(composed.metrics);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

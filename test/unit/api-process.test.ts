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
const lifecycleHandler = (adapter: () => Promise<{ status: number; body: unknown }>) =>
  createApiHandler(
    "lifecycle",
    lifecycleRoutes,
    { config, dynamodb, logger: createLogger(config), idempotency: loadIdempotency },
    {
      "POST /models/{name}/versions/{v}/transitions": adapter,
      "POST /models/{name}/stages/{stage}/rollback": adapter,
      "PUT /models/{name}/aliases/{alias}": adapter,
      "DELETE /models/{name}/aliases/{alias}": adapter,
      "POST /models/{name}/versions/{v}/approvals": adapter,
      "PUT /models/{name}/policy": adapter,
      "PUT /models/{name}/retention": adapter,
      "PUT /models/{name}/versions/{v}/protection": adapter,
      "POST /api/2.0/mlflow/model-versions/transition-stage": adapter,
      "POST /api/2.0/mlflow/registered-models/alias": adapter,
      "DELETE /api/2.0/mlflow/registered-models/alias": adapter,
    },
  );
const handler = lifecycleHandler(answer);

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

describe("a request that outlasts its function's time", () => {
  // The use case never ends: only the function's deadline can answer.
  const endless = lifecycleHandler(() => new Promise<never>(() => undefined));
  const nearlyOutOfTime = { ...lambdaContext, getRemainingTimeInMillis: () => 520 };

  it("is answered 503 RequestTimedOut, saying what may have been done, before the function is stopped", async () => {
    const event = apiEvent({
      routeKey: "PUT /models/{name}/aliases/{alias}",
      pathParameters: { name: "fraud_detector", alias: "champion" },
      body: { version: 1 },
    });

    const response = await endless(event, nearlyOutOfTime);

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? "{}").error).toMatchObject({
      code: "RequestTimedOut",
      message: expect.stringContaining("part of it may have been done"),
    });
  });

  it("is answered in MLflow's shape on an MLflow route: TEMPORARILY_UNAVAILABLE", async () => {
    const event = apiEvent({
      routeKey: "POST /api/2.0/mlflow/registered-models/alias",
      body: { name: "fraud_detector", alias: "champion", version: "1" },
    });

    const response = await endless(event, nearlyOutOfTime);

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? "{}")).toMatchObject({ error_code: "TEMPORARILY_UNAVAILABLE" });
  });
});

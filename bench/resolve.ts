import { Agent } from "node:http";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { localCredentials } from "../infra/local/engines";
import { LOCAL_TABLE_NAME, type LocalRegistry } from "../infra/local/start";
import { sendJson } from "./http";
import { median, timed } from "./stats";

export interface ResolveFigure {
  readonly gatewayMedianMs: number;
  readonly getItemMedianMs: number;
  readonly ratio: number;
  readonly samples: number;
}

/** A keep-alive node:http client, as the AWS SDK's own handler is: the two sides pay the same for HTTP. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const send = (url: string, method: string, body?: unknown) => sendJson(agent, url, method, body);

/**
 * Resolving the Production version through the local gateway (HTTP, payload 2.0 event, middy,
 * validation, one GetItem) against a raw GetItem of the same item on the same DynamoDB Local,
 * interleaved so both see the same machine load.
 */
export async function benchResolve(registry: LocalRegistry, samples = 400): Promise<ResolveFigure> {
  const raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: "us-east-1", endpoint: registry.engines.dynamodb, credentials: localCredentials }),
  );
  try {
    await send(`${registry.url}/models/fraud_detector/versions`, "POST", { source: "s3://bench/model.tar.gz" });
    await send(`${registry.url}/models/fraud_detector/versions/1/transitions`, "POST", { to: "Staging", reason: "bench" });
    await send(`${registry.url}/models/fraud_detector/versions/1/transitions`, "POST", { to: "Production", reason: "bench" });
    const resolve = () => send(`${registry.url}/models/fraud_detector/stages/Production`, "GET");
    const getItem = () =>
      raw.send(
        new GetCommand({ TableName: LOCAL_TABLE_NAME, Key: { pk: "MODEL#fraud_detector", sk: "STAGE#Production" }, ConsistentRead: true }),
      );
    for (let i = 0; i < 50; i++) await Promise.all([resolve(), getItem()]);

    const gateway: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < samples; i++) {
      gateway.push(await timed(resolve));
      direct.push(await timed(getItem));
    }
    const gatewayMedianMs = median(gateway);
    const getItemMedianMs = median(direct);
    return { gatewayMedianMs, getItemMedianMs, ratio: gatewayMedianMs / getItemMedianMs, samples };
  } finally {
    raw.destroy();
    agent.destroy();
  }
}

export function printResolve(resolve: ResolveFigure): void {
  console.log(
    `Resolve Production through the local gateway vs a raw GetItem on the same DynamoDB Local (${resolve.samples} samples each, interleaved):`,
  );
  console.log(
    `  gateway median ${resolve.gatewayMedianMs.toFixed(2)} ms, GetItem median ${resolve.getItemMedianMs.toFixed(2)} ms, ratio ${resolve.ratio.toFixed(2)} (≤ 1.1: ${resolve.ratio <= 1.1 ? "ok" : "MISSED"})`,
  );
}

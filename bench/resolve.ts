import { Agent, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { LocalRegistry } from "../infra/local/start";
import { createDocumentClient } from "../shared/clients";
import { loadConfig } from "../shared/config";
import { productionPointerKey } from "../shared/store/entities/stage-pointer";
import { sendJson } from "./http";
import { median, timed } from "./stats";

export interface ResolveFigure {
  readonly gatewayMedianMs: number;
  readonly getItemMedianMs: number;
  readonly ratio: number;
  /** A bare Node server's answer of the same bytes over the same kind of connection: the one round trip the gateway side adds. */
  readonly loopbackMedianMs: number;
  /** (GetItem + that round trip) / GetItem: the ratio with nothing but the extra round trip. */
  readonly floor: number;
  readonly samples: number;
}

/** A keep-alive node:http client, as the AWS SDK's own handler is: the two sides pay the same for HTTP. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const send = (url: string, method: string, body?: unknown) => sendJson(agent, url, method, body);

/** A bare node:http server that answers every request with `body`, as JSON. */
async function bareServer(body: string): Promise<{ url: string; close(): void }> {
  const server = createServer((_, response) => {
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    response.end(body);
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

/**
 * Resolving the Production version through the local gateway (HTTP, payload 2.0 event, middy,
 * validation, one GetItem) against a raw GetItem of the same item on the same DynamoDB Local, and
 * against a bare Node server answering the same bytes, interleaved so all see the same machine load.
 * The raw GetItem goes through a client built as the handlers build theirs (shared/clients.ts, from
 * the config they read): the same endpoint, retry and HTTP settings, so only the registry's own work
 * and the extra round trip tell the two apart.
 */
export async function benchResolve(registry: LocalRegistry, samples = 400): Promise<ResolveFigure> {
  const config = loadConfig();
  const raw = createDocumentClient(config);
  try {
    await send(`${registry.url}/models/fraud_detector/versions`, "POST", { source: "s3://bench/model.tar.gz" });
    await send(`${registry.url}/models/fraud_detector/versions/1/transitions`, "POST", { to: "Staging", reason: "bench" });
    await send(`${registry.url}/models/fraud_detector/versions/1/transitions`, "POST", { to: "Production", reason: "bench" });
    const resolve = () => send(`${registry.url}/models/fraud_detector/stages/Production`, "GET");
    const getItem = () =>
      raw.send(new GetCommand({ TableName: config.tableName, Key: productionPointerKey("fraud_detector"), ConsistentRead: true }));
    const bare = await bareServer(JSON.stringify(await resolve()));
    try {
      const loopback = () => send(bare.url, "GET");
      for (let i = 0; i < 50; i++) await Promise.all([resolve(), getItem(), loopback()]);

      const gateway: number[] = [];
      const direct: number[] = [];
      const hop: number[] = [];
      for (let i = 0; i < samples; i++) {
        gateway.push(await timed(resolve));
        direct.push(await timed(getItem));
        hop.push(await timed(loopback));
      }
      const [gatewayMedianMs, getItemMedianMs, loopbackMedianMs] = [median(gateway), median(direct), median(hop)];
      const ratio = gatewayMedianMs / getItemMedianMs;
      return {
        gatewayMedianMs,
        getItemMedianMs,
        ratio,
        loopbackMedianMs,
        floor: (getItemMedianMs + loopbackMedianMs) / getItemMedianMs,
        samples,
      };
    } finally {
      bare.close();
    }
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
  console.log(
    `  floor: one bare loopback HTTP round trip of the same answer ${resolve.loopbackMedianMs.toFixed(2)} ms, so GetItem plus it alone is ratio ${resolve.floor.toFixed(2)}`,
  );
}

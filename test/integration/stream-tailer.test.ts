import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { localCredentials } from "../../infra/local/engines";
import { startStreamTailer, type RunningTailer, type StreamHandler } from "../../infra/local/stream-tailer";
import { useTestRegistry } from "../support/registry";
import { waitFor } from "../support/webhook";

/**
 * Where a restarted tailer picks up: a process killed while the handler holds a batch (it may
 * already have put those events on the bus) hands that batch over again, and nothing before it.
 */

const RECORDS = 25;
const registry = useTestRegistry({}, { stream: true });
let dataDir: string;
const tailers: RunningTailer[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-tailer-"));
  const client = new DynamoDBClient({
    region: registry.config.region,
    endpoint: registry.config.endpoints.dynamodb,
    credentials: localCredentials,
  });
  for (let i = 0; i < RECORDS; i++) {
    await client.send(
      new PutItemCommand({
        TableName: registry.config.tableName,
        Item: { pk: { S: `item-${String(i).padStart(2, "0")}` }, sk: { S: "-" } },
      }),
    );
  }
  client.destroy();
});

afterAll(async () => {
  await Promise.all(tailers.map((tailer) => tailer.stop()));
  await rm(dataDir, { recursive: true, force: true });
});

const keysOf = (event: DynamoDBStreamEvent) => event.Records.map((record) => record.dynamodb?.Keys?.pk?.S as string);

async function tail(handler: StreamHandler): Promise<RunningTailer> {
  const options = {
    endpoint: registry.config.endpoints.dynamodb as string,
    region: registry.config.region,
    tableName: registry.config.tableName,
    checkpointFile: join(dataDir, "checkpoint.json"),
    pollIntervalMs: 50,
    log: () => undefined,
  };
  const tailer = await startStreamTailer({ ...options, handler });
  tailers.push(tailer);
  return tailer;
}

describe("the stream tailer's checkpoint", () => {
  it("after a crash mid-batch, hands over again only the batch in flight: at most 10 records", async () => {
    // The first process publishes what it is handed and dies (hangs for good) in the batch that passes 15 records.
    const published: string[] = [];
    let inFlight: string[] = [];
    let died!: () => void;
    const dead = new Promise<void>((resolve) => (died = resolve));
    let release!: () => void;
    const forever = new Promise<void>((resolve) => (release = resolve));
    await tail(async (event) => {
      if (inFlight.length > 0) return;
      published.push(...keysOf(event));
      if (published.length < 15) return;
      inFlight = keysOf(event);
      died();
      await forever;
    });
    await dead;

    const handedOver: string[] = [];
    try {
      await tail(async (event) => void handedOver.push(...keysOf(event)));
      await waitFor(
        () => handedOver,
        (keys) => keys.includes(`item-${RECORDS - 1}`),
      );
    } finally {
      release(); // lets the first tailer stop
    }

    const replayed = handedOver.filter((key) => published.includes(key));
    expect(replayed).toEqual(inFlight);
    expect(replayed.length).toBeLessThanOrEqual(10);
    expect(new Set([...published, ...handedOver]).size).toBe(RECORDS);
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { localCredentials } from "../../infra/local/engines";
import { startLocalEventBridge, type DeliveredEvent, type LocalEventBridge } from "../../infra/local/eventbridge";
import { startWebhook, waitFor, type Webhook } from "../support/webhook";

/** The local bus driven by the real SDK clients, as the publisher drives it. */

const BUS = "model-registry-local";
let dataDir: string;
let bus: LocalEventBridge;
let webhook: Webhook;
let client: EventBridgeClient;

const entry = (detail: Record<string, unknown>, overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: BUS,
  Source: "model-registry",
  DetailType: "Model Version Stage Changed",
  Detail: JSON.stringify(detail),
  Resources: [`models:/${String(detail.model)}/${String(detail.version)}`],
  Time: new Date("2026-11-22T10:00:00.123Z"),
  ...overrides,
});

const loggedEvents = async (): Promise<DeliveredEvent[]> =>
  (await readFile(bus.eventsLog, "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DeliveredEvent);

const writeRules = (rules: unknown) => writeFile(join(dataDir, "rules.json"), JSON.stringify(rules));

beforeAll(async () => {
  webhook = await startWebhook();
});
afterAll(async () => {
  await webhook.stop();
});

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-events-"));
  bus = await startLocalEventBridge({ dataDir, busName: BUS, delivery: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 50 }, log: () => undefined });
  client = new EventBridgeClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
  webhook.received.length = 0;
  webhook.respondWith(() => 200);
});
afterEach(async () => {
  client.destroy();
  await bus.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the local EventBridge endpoint", () => {
  it("accepts PutEvents from the real EventBridgeClient and logs each event as targets receive it", async () => {
    const detail = { eventId: "e-1", sequence: 4, model: "fraud_detector", version: 3, toStage: "Production" };

    const result = await client.send(new PutEventsCommand({ Entries: [entry(detail)] }));

    expect(result.FailedEntryCount).toBe(0);
    const [event] = await loggedEvents();
    expect(event).toEqual({
      version: "0",
      id: result.Entries?.[0]?.EventId,
      "detail-type": "Model Version Stage Changed",
      source: "model-registry",
      account: "000000000000",
      time: "2026-11-22T10:00:00Z",
      region: "us-east-1",
      resources: ["models:/fraud_detector/3"],
      detail,
    });
  });

  it("refuses a call with more than 10 entries, as EventBridge does", async () => {
    const entries = Array.from({ length: 11 }, (_, i) => entry({ model: "m", version: i + 1 }));

    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({ name: "ValidationException" });
    expect(await loggedEvents()).toEqual([]);
  });

  it("fails single entries (malformed detail, another bus) and accepts the rest of the call", async () => {
    const result = await client.send(
      new PutEventsCommand({ Entries: [entry({ model: "a", version: 1 }), { ...entry({}), Detail: "not json" }, entry({ model: "b", version: 2 }, { EventBusName: "default" })] }),
    );

    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries?.map((e) => e.ErrorCode)).toEqual([undefined, "MalformedDetail", "ResourceNotFoundException"]);
    expect((await loggedEvents()).map((e) => e.detail.model)).toEqual(["a"]);
  });

  it("POSTs events matching a rule's pattern to its HTTP targets, and only those", async () => {
    await writeRules([
      {
        name: "fraud-detector-production",
        eventPattern: { source: ["model-registry"], "detail-type": ["Model Version Stage Changed"], detail: { model: ["fraud_detector"], toStage: ["Production"] } },
        targets: [{ url: webhook.url }],
      },
    ]);

    await client.send(
      new PutEventsCommand({
        Entries: [entry({ model: "fraud_detector", version: 3, toStage: "Production" }), entry({ model: "fraud_detector", version: 4, toStage: "Staging" }), entry({ model: "churn", version: 1, toStage: "Production" })],
      }),
    );

    await waitFor(() => bus.pendingDeliveries(), (n) => n === 0);
    expect(webhook.received.map((e) => (e.detail as { version: number }).version)).toEqual([3]);
    expect(webhook.received[0]).toMatchObject({ source: "model-registry", "detail-type": "Model Version Stage Changed", id: expect.any(String) });
  });

  it("picks up an edited rules file without a restart", async () => {
    await writeRules([]);
    await client.send(new PutEventsCommand({ Entries: [entry({ model: "fraud_detector", version: 1 })] }));
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "fraud_detector", version: 2 })] }));

    await waitFor(() => webhook.received.length, (n) => n === 1);
    expect((webhook.received[0]?.detail as { version: number }).version).toBe(2);
  });

  it("retries a target that answers 5xx until it takes the event, and gives up at once on a 4xx", async () => {
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
    let failuresLeft = 3;
    webhook.respondWith((event) => ((event.detail as { version: number }).version === 2 ? 404 : failuresLeft-- > 0 ? 503 : 200));

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 }), entry({ model: "m", version: 2 })] }));

    await waitFor(() => bus.pendingDeliveries(), (n) => n === 0);
    expect(webhook.received.map((e) => (e.detail as { version: number }).version)).toEqual([1]);
    expect(failuresLeft).toBeLessThan(0);
  });

  it("keeps retrying a target that is down and delivers once it is back", async () => {
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
    await webhook.stop();

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));
    await waitFor(() => bus.failedDeliveryAttempts(), (n) => n >= 3);
    expect(bus.pendingDeliveries()).toBe(1);
    await webhook.start();

    await waitFor(() => webhook.received.length, (n) => n === 1);
  });

  it("ignores a rules file that is not valid and says why", async () => {
    const lines: string[] = [];
    await bus.stop();
    bus = await startLocalEventBridge({ dataDir, busName: BUS, log: (line) => lines.push(line) });
    client.destroy();
    client = new EventBridgeClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
    await writeRules([{ name: "typo", eventPattern: { source: "model-registry" }, targets: [{ url: webhook.url }] }]);

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));

    expect(lines.join("\n")).toMatch(/rules.json is not a valid rules file .*eventPattern.*non-empty object/);
    expect(bus.pendingDeliveries()).toBe(0);
    expect(await loggedEvents()).toHaveLength(1);
  });

  it("takes SQS SendMessage from the real SQSClient for the publisher's dead-letter queue", async () => {
    const sqs = new SQSClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
    const body = { reason: "PutEventsFailed", error: { code: "InternalFailure" } };

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: bus.queueUrl("dead-letters"), MessageBody: JSON.stringify(body) }));
    sqs.destroy();

    expect(sent.MessageId).toEqual(expect.any(String));
    const [letter] = (await readFile(bus.deadLettersLog, "utf8")).split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(letter).toMatchObject({ messageId: sent.MessageId, queueUrl: bus.queueUrl("dead-letters"), body });
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { access, appendFile, mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { localCredentials } from "../../infra/local/engines";
import { RulesFileError } from "../../infra/local/event-delivery";
import { startLocalEventBridge, type DeliveredEvent, type LocalEventBridge } from "../../infra/local/eventbridge";
import { redeliver } from "../../infra/local/redeliver";
import { DeadLetterQueue } from "../../shared/events/dead-letters";
import { startLocalRegistry } from "../../infra/local/start";
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
  bus = await startLocalEventBridge({
    dataDir,
    busName: BUS,
    delivery: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 50 },
    log: () => undefined,
  });
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
      new PutEventsCommand({
        Entries: [
          entry({ model: "a", version: 1 }),
          { ...entry({}), Detail: "not json" },
          entry({ model: "b", version: 2 }, { EventBusName: "default" }),
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries?.map((e) => e.ErrorCode)).toEqual([undefined, "MalformedDetail", "ResourceNotFoundException"]);
    expect((await loggedEvents()).map((e) => e.detail.model)).toEqual(["a"]);
  });

  it("takes events again once a write to its log that failed can succeed", async () => {
    await mkdir(bus.eventsLog); // appending to a directory fails
    const failing = new EventBridgeClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials, maxAttempts: 1 });
    await expect(failing.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }))).rejects.toThrow();
    failing.destroy();
    await rmdir(bus.eventsLog);

    const result = await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 2 })] }));

    expect(result.FailedEntryCount).toBe(0);
    expect((await loggedEvents()).map((event) => event.detail)).toEqual([{ model: "m", version: 2 }]);
  });

  it("POSTs events matching a rule's pattern to its HTTP targets, and only those", async () => {
    await writeRules([
      {
        name: "fraud-detector-production",
        eventPattern: {
          source: ["model-registry"],
          "detail-type": ["Model Version Stage Changed"],
          detail: { model: ["fraud_detector"], toStage: ["Production"] },
        },
        targets: [{ url: webhook.url }],
      },
    ]);

    await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ model: "fraud_detector", version: 3, toStage: "Production" }),
          entry({ model: "fraud_detector", version: 4, toStage: "Staging" }),
          entry({ model: "churn", version: 1, toStage: "Production" }),
        ],
      }),
    );

    await waitFor(
      () => bus.pendingDeliveries(),
      (n) => n === 0,
    );
    expect(webhook.received.map((e) => (e.detail as { version: number }).version)).toEqual([3]);
    expect(webhook.received[0]).toMatchObject({
      source: "model-registry",
      "detail-type": "Model Version Stage Changed",
      id: expect.any(String),
    });
  });

  it("picks up an edited rules file without a restart", async () => {
    await writeRules([]);
    await client.send(new PutEventsCommand({ Entries: [entry({ model: "fraud_detector", version: 1 })] }));
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "fraud_detector", version: 2 })] }));

    await waitFor(
      () => webhook.received.length,
      (n) => n === 1,
    );
    expect((webhook.received[0]!.detail as { version: number }).version).toBe(2);
  });

  it("retries a target that answers 5xx until it takes the event, and gives up at once on a 4xx", async () => {
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
    let failuresLeft = 3;
    webhook.respondWith((event) => ((event.detail as { version: number }).version === 2 ? 404 : failuresLeft-- > 0 ? 503 : 200));

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 }), entry({ model: "m", version: 2 })] }));

    await waitFor(
      () => bus.pendingDeliveries(),
      (n) => n === 0,
    );
    expect(webhook.received.map((e) => (e.detail as { version: number }).version)).toEqual([1]);
    expect(failuresLeft).toBeLessThan(0);
  });

  it("keeps retrying a target that is down and delivers once it is back", async () => {
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
    await webhook.stop();

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));
    await waitFor(
      () => bus.failedDeliveryAttempts(),
      (n) => n >= 3,
    );
    expect(bus.pendingDeliveries()).toBe(1);
    await webhook.start();

    await waitFor(
      () => webhook.received.length,
      (n) => n === 1,
    );
  });

  it("ignores a rules file that is not valid and says why", async () => {
    const lines: string[] = [];
    await restartBus({ log: (line) => lines.push(line) });
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
    const [letter] = (await readFile(bus.deadLettersLog, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(letter).toMatchObject({ messageId: sent.MessageId, queueUrl: bus.queueUrl("dead-letters"), body });
  });

  it("refuses SendMessage of a body over the queues' 256 KiB or empty, as SQS does, and takes one of exactly 256 KiB", async () => {
    const sqs = new SQSClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
    const send = (MessageBody: string) => sqs.send(new SendMessageCommand({ QueueUrl: bus.queueUrl("dead-letters"), MessageBody }));
    const MAX = 256 * 1024;

    const tooLong = send("é".repeat(MAX / 2 + 1));
    const empty = send("");
    const longest = send("x".repeat(MAX));

    await expect(tooLong).rejects.toMatchObject({ name: "InvalidParameterValue", $metadata: { httpStatusCode: 400 } });
    await expect(empty).rejects.toMatchObject({ name: "InvalidParameterValue", $metadata: { httpStatusCode: 400 } });
    expect((await longest).MessageId).toEqual(expect.any(String));
    sqs.destroy();
    expect((await readFile(bus.deadLettersLog, "utf8")).split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("takes SendMessageBatch from the real SQSClient, each entry sent as SendMessage sends it, and refuses 11 entries", async () => {
    const sqs = new SQSClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
    const queueUrl = bus.queueUrl("dead-letters");
    const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `task-${i}`, MessageBody: JSON.stringify({ task: i }) }));

    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    const tooMany = sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [...entries, { Id: "task-10", MessageBody: "{}" }] }),
    );
    await expect(tooMany).rejects.toMatchObject({ name: "TooManyEntriesInBatchRequest" });
    sqs.destroy();

    expect(sent.Failed ?? []).toEqual([]);
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(entries.map((entry) => entry.Id));
    const letters = (await readFile(bus.deadLettersLog, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { messageId: string; body: unknown });
    expect(letters.map((letter) => letter.body)).toEqual(entries.map((_, i) => ({ task: i })));
    expect(letters.map((letter) => letter.messageId)).toEqual(sent.Successful?.map((entry) => entry.MessageId));
  });

  it("refuses at start a rules file with a misspelled key, naming the file, the rule and the key", async () => {
    const typoDir = await mkdtemp(join(tmpdir(), "registry-events-"));
    const rules = [{ name: "deploy", eventPatern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }];
    await writeFile(join(typoDir, "rules.json"), JSON.stringify(rules));

    const starting = startLocalEventBridge({ dataDir: typoDir, log: () => undefined });

    await expect(starting).rejects.toThrow(RulesFileError);
    await expect(starting).rejects.toThrow(/rules\.json .*rule "deploy" \(#1\), eventPatern: not a known key; did you mean eventPattern\?/);
    await rm(typoDir, { recursive: true, force: true });
  });

  it("stops npm start before any engine starts when the rules file is not valid", async () => {
    await writeRules([{ name: "deploy", eventPattern: { source: ["model-registry"] }, targets: [{ url: "not a url" }] }]);

    await expect(startLocalRegistry({ port: 0, dataDir, rulesFile: join(dataDir, "rules.json") })).rejects.toThrow(
      /rule "deploy" \(#1\), targets\.0\.url: Invalid URL/,
    );
    // The engines' data directories are made just before they start.
    await expect(access(join(dataDir, "dynamodb"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("keeps the previous rules when an edit breaks the file, and says which key", async () => {
    const lines: string[] = [];
    await restartBus({ log: (line) => lines.push(line) });
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ uri: webhook.url }] }]);

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 2 })] }));

    await waitFor(
      () => webhook.received.length,
      (n) => n === 2,
    );
    expect(lines.join("\n")).toMatch(
      /rule "all" \(#1\), targets\.0\.uri: not a known key; did you mean url\?\)\. Keeping the previous rules \(1\)/,
    );
  });

  it("logs an unreachable target at its first failure as a warning, and its retries at a lower level", async () => {
    const lines: { line: string; level?: string }[] = [];
    await restartBus({ log: (line, level) => lines.push({ line, level }), delivery: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } });
    const target = await unreachableUrl();
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: target }] }]);

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));

    await waitFor(
      () => bus.pendingDeliveries(),
      (n) => n === 0,
    );
    const [first, ...rest] = lines;
    expect(first).toMatchObject({ level: "warn", line: expect.stringContaining(`${target} did not take event`) });
    expect(first?.line).toMatch(/no answer \(ECONNREFUSED\), attempt 1/);
    expect(rest.map((l) => l.level)).toEqual(["debug", "warn"]);
    expect(rest.at(-1)?.line).toMatch(/gave up after 3 attempts, dead-lettered/);
  });

  it("appends an event whose retries ran out to dead-letters.jsonl as EventBridge sends it to a target's DLQ", async () => {
    await restartBus({ delivery: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 } });
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
    webhook.respondWith(() => 503);

    const sent = await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));

    await waitFor(
      () => bus.pendingDeliveries(),
      (n) => n === 0,
    );
    const letters = (await readFile(bus.deadLettersLog, "utf8")).split("\n").filter(Boolean);
    expect(letters).toHaveLength(1);
    expect(JSON.parse(letters[0]!)).toEqual({
      messageId: expect.any(String),
      queueUrl: bus.queueUrl("dead-letters"),
      sentAt: expect.any(String),
      body: expect.objectContaining({ id: sent.Entries?.[0]?.EventId, detail: { model: "m", version: 1 } }),
      attributes: {
        RULE_ARN: "arn:aws:events:us-east-1:000000000000:rule/all",
        TARGET_ARN: webhook.url,
        ERROR_CODE: "SDK_CLIENT_ERROR",
        ERROR_MESSAGE: "HTTP 503",
        EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttemptsExceeded",
        RETRY_ATTEMPTS: "1",
      },
    });
  });

  it("dead-letters an event whose target answers a redirect, without following it", async () => {
    await restartBus({ delivery: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } });
    const followed: string[] = [];
    const target = createServer((request, response) => {
      if (request.url === "/hook") return void response.writeHead(302, { location: "/moved" }).end();
      followed.push(`${request.method} ${request.url}`);
      response.writeHead(200).end();
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hook`;
    await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url }] }]);

    await client.send(new PutEventsCommand({ Entries: [entry({ model: "m", version: 1 })] }));

    await waitFor(
      () => bus.pendingDeliveries(),
      (n) => n === 0,
    );
    target.close();
    target.closeAllConnections();
    expect(followed).toEqual([]);
    const [letter] = (await readFile(bus.deadLettersLog, "utf8").catch(() => "")).split("\n").filter(Boolean);
    expect(JSON.parse(letter ?? "{}").attributes).toMatchObject({ ERROR_MESSAGE: "HTTP 302", RETRY_ATTEMPTS: "0" });
  });

  it("puts dead letters back on the bus with redeliver, which then reach the target", async () => {
    await deadLetterAnEvent({ model: "m", version: 7 });
    webhook.respondWith(() => 200);

    const result = await redeliver({ endpoint: bus.endpoint, file: bus.deadLettersLog });

    expect(result).toEqual({ redelivered: 1, kept: 0, withoutEvent: [] });
    await waitFor(
      () => webhook.received.length,
      (n) => n === 1,
    );
    expect(webhook.received[0]?.detail).toEqual({ model: "m", version: 7 });
  });

  it("keeps every letter in the file when the bus does not answer redeliver", async () => {
    await deadLetterAnEvent({ model: "m", version: 8 });
    const letters = await readFile(bus.deadLettersLog, "utf8");

    await expect(redeliver({ endpoint: await unreachableUrl(), file: bus.deadLettersLog })).rejects.toThrow();

    expect(await readFile(bus.deadLettersLog, "utf8")).toBe(letters);
  });

  it("redelivers the letters around a line cut short, and keeps that line as it was", async () => {
    await deadLetterAnEvent({ model: "m", version: 9 });
    const cutShort = '{"messageId":"d1","body":{"ver';
    await appendFile(bus.deadLettersLog, `${cutShort}\n`);
    webhook.respondWith(() => 200);

    const result = await redeliver({ endpoint: bus.endpoint, file: bus.deadLettersLog });

    expect(result).toEqual({ redelivered: 1, kept: 1, withoutEvent: [] });
    expect(await readFile(bus.deadLettersLog, "utf8")).toBe(`${cutShort}\n`);
  });

  it("keeps a publisher letter whose event was dropped for size, naming the history item to read instead of putting it", async () => {
    const queue = new SQSClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
    const item = { pk: "MODEL#m", sk: "HISTORY#0000000002" };
    await new DeadLetterQueue(queue, bus.queueUrl("dead-letters")).send({
      reason: "PutEventsFailed",
      error: { code: "EntryTooLarge", message: "The entry is 307514 bytes; PutEvents takes at most 262144." },
      attempts: 0,
      record: { sequenceNumber: "100" },
      item,
      event: entry({ model: "m", version: 2, reason: "x".repeat(300 * 1024) }),
      failedAt: "2026-11-22T10:00:05.000Z",
    });
    queue.destroy();

    const result = await redeliver({ endpoint: bus.endpoint, file: bus.deadLettersLog });

    expect(result).toEqual({ redelivered: 0, kept: 1, withoutEvent: [{ item, reason: expect.stringMatching(/event.*262144 bytes/) }] });
    expect(await loggedEvents()).toEqual([]);
  });
});

/** An event whose one delivery attempt the target refuses: it lands in the dead letters. */
async function deadLetterAnEvent(detail: Record<string, unknown>): Promise<void> {
  await restartBus({ delivery: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 1 } });
  await writeRules([{ name: "all", eventPattern: { source: ["model-registry"] }, targets: [{ url: webhook.url }] }]);
  webhook.respondWith(() => 503);
  await client.send(new PutEventsCommand({ Entries: [entry(detail)] }));
  await waitFor(
    () => bus.pendingDeliveries(),
    (n) => n === 0,
  );
}

async function restartBus(options: Partial<Parameters<typeof startLocalEventBridge>[0]>): Promise<void> {
  await bus.stop();
  bus = await startLocalEventBridge({ dataDir, busName: BUS, log: () => undefined, ...options });
  client.destroy();
  client = new EventBridgeClient({ region: "us-east-1", endpoint: bus.endpoint, credentials: localCredentials });
}

/** A port that was just free: nothing answers there. */
async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

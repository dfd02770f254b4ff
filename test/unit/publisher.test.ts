import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry, type PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DeadLetterQueue, type DeadLetter } from "../../shared/events/dead-letters";
import { EventBus } from "../../shared/events/event-bus";
import { publishChanges, type PublisherDeps } from "../../shared/events/publish-changes";
import { historyKey } from "../../shared/store/entities/history";
import { newModelItem } from "../../shared/store/entities/model";
import { historyItem, streamRecord } from "../support/history-records";
import { lambdaContext } from "../support/fixtures";
import type { DynamoDBRecord } from "aws-lambda";
import { createLogger } from "../../shared/logger";

const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
// Unit test files share a process (vitest.config.ts): leave no mock behind.
afterAll(() => {
  eventBridge.restore();
  sqs.restore();
});
const DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/model-registry-test-dead-letters";
const now = new Date("2026-11-22T10:00:05.000Z");
const sleep = vi.fn(async (_ms: number) => undefined);

const deps: PublisherDeps = {
  bus: new EventBus(new EventBridgeClient({ region: "us-east-1" }), { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 }, sleep),
  deadLetters: new DeadLetterQueue(new SQSClient({ region: "us-east-1" }), DLQ_URL),
  busName: "model-registry-test",
  now: () => now,
  logger: createLogger({ logLevel: "SILENT" }),
};

/** `count` promotions of fraud_detector, sequence numbers 1..count, stream sequence numbers 100.. */
const promotions = (count: number, reason = "nightly retrain") =>
  Array.from({ length: count }, (_, i) =>
    streamRecord(
      historyItem({ action: "STAGE_CHANGED", version: i + 1, fromStage: "Staging", toStage: "Production", reason }, { sequence: i + 1 }),
      String(100 + i),
    ),
  );

const putCalls = () => eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
const eventIdsOf = (entries: readonly PutEventsRequestEntry[]) =>
  entries.map((entry) => (JSON.parse(entry.Detail ?? "{}") as { eventId: string }).eventId);
const lettersSent = () =>
  sqs.commandCalls(SendMessageCommand).map((call) => JSON.parse(call.args[0].input.MessageBody ?? "{}") as DeadLetter);

/** PutEvents answering per entry: `fail(eventId, attempt)` names an error code for entries that should fail. */
function answerPutEvents(fail: (eventId: string, attempt: number) => string | undefined = () => undefined) {
  const attempts = new Map<string, number>();
  eventBridge.on(PutEventsCommand).callsFake(({ Entries = [] }: { Entries: PutEventsRequestEntry[] }) => {
    const results: PutEventsResultEntry[] = eventIdsOf(Entries).map((eventId) => {
      const attempt = (attempts.get(eventId) ?? 0) + 1;
      attempts.set(eventId, attempt);
      const code = fail(eventId, attempt);
      return code ? { ErrorCode: code, ErrorMessage: `${code} for ${eventId}` } : { EventId: `eb-${eventId}` };
    });
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  });
}

/** SQS's MaximumMessageSize as the registry's queues keep it (the default). */
const SQS_MAX_MESSAGE_BYTES = 262_144;

/** SendMessage refusing a body over the queue's MaximumMessageSize, as SQS does. */
function refuseMessagesOverSqsLimit() {
  sqs.on(SendMessageCommand).callsFake(({ MessageBody = "" }: { MessageBody?: string }) => {
    if (Buffer.byteLength(MessageBody) > SQS_MAX_MESSAGE_BYTES)
      throw Object.assign(new Error("One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes."), {
        name: "InvalidParameterValue",
      });
    return { MessageId: "m-1" };
  });
}

beforeEach(() => {
  eventBridge.reset();
  sqs.reset();
  sleep.mockClear();
  sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
});

describe("publishing committed changes", () => {
  it("puts 25 events in 3 PutEvents calls of at most 10, in stream order, on the configured bus", async () => {
    answerPutEvents();

    const response = await publishChanges(deps, promotions(25));

    expect(putCalls().map((entries) => entries.length)).toEqual([10, 10, 5]);
    expect(
      putCalls()
        .flat()
        .map((entry) => entry.EventBusName),
    ).toEqual(Array(25).fill("model-registry-test"));
    expect(eventIdsOf(putCalls().flat())).toEqual(Array.from({ length: 25 }, (_, i) => `event-${i + 1}`));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("starts a new call before a batch would exceed 256 KB", async () => {
    answerPutEvents();
    const reason = "x".repeat(100 * 1024);

    await publishChanges(deps, promotions(5, reason));

    expect(putCalls().map((entries) => entries.length)).toEqual([2, 2, 1]);
  });

  it("puts again only the entries a call reported as failed, after a backoff", async () => {
    answerPutEvents((eventId, attempt) => (eventId === "event-4" && attempt === 1 ? "ThrottlingException" : undefined));

    const response = await publishChanges(deps, promotions(5));

    expect(putCalls().map(eventIdsOf)).toEqual([["event-1", "event-2", "event-3", "event-4", "event-5"], ["event-4"]]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("puts the whole call again when PutEvents itself throws", async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error("Service unavailable"), { name: "InternalException" }))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "a" }, { EventId: "b" }] });

    const response = await publishChanges(deps, promotions(2));

    expect(putCalls()).toHaveLength(2);
    expect(response.batchItemFailures).toEqual([]);
  });

  it("sends an event that keeps failing to the dead-letter queue with the error, and counts its record as handled", async () => {
    answerPutEvents((eventId) => (eventId === "event-2" ? "InternalFailure" : undefined));

    const response = await publishChanges(deps, promotions(3));

    expect(putCalls().map(eventIdsOf)).toEqual([["event-1", "event-2", "event-3"], ["event-2"], ["event-2"], ["event-2"]]);
    expect(sleep).toHaveBeenCalledTimes(3);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.QueueUrl).toBe(DLQ_URL);
    const [letter] = lettersSent();
    expect(letter).toMatchObject({
      reason: "PutEventsFailed",
      error: { code: "InternalFailure", message: "InternalFailure for event-2" },
      attempts: 4,
      record: { sequenceNumber: "101", eventID: "id-101" },
      event: {
        Source: "model-registry",
        DetailType: "Model Version Stage Changed",
        EventBusName: "model-registry-test",
        Resources: ["models:/fraud_detector/2"],
      },
      failedAt: now.toISOString(),
    });
    expect(JSON.parse(letter?.event?.Detail ?? "{}")).toMatchObject({ eventId: "event-2", sequence: 2, toStage: "Production" });
    expect(response.batchItemFailures).toEqual([]);
  });

  it("reports a record whose event could not even be dead-lettered as a batch item failure, and only that one", async () => {
    answerPutEvents((eventId) => (eventId === "event-2" || eventId === "event-3" ? "InternalFailure" : undefined));
    sqs.on(SendMessageCommand).callsFake(({ MessageBody }: { MessageBody: string }) => {
      if (MessageBody.includes('\\"eventId\\":\\"event-3\\"')) throw Object.assign(new Error("Access denied"), { name: "AccessDenied" });
      return { MessageId: "m-2" };
    });

    const response = await publishChanges(deps, promotions(4));

    expect(lettersSent()).toHaveLength(2);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "102" }] });
  });

  it("dead-letters a history item it cannot read without putting anything, and publishes the rest", async () => {
    answerPutEvents();
    const { actor: _missing, ...unreadable } = historyItem({ action: "VERSION_READY", version: 1 }, { sequence: 3 });
    const records = [...promotions(2), streamRecord(unreadable, "200")];

    const response = await publishChanges(deps, records);

    expect(eventIdsOf(putCalls().flat())).toEqual(["event-1", "event-2"]);
    expect(lettersSent()).toEqual([
      expect.objectContaining({
        reason: "MalformedHistoryItem",
        attempts: 0,
        record: expect.objectContaining({ sequenceNumber: "200" }),
        image: expect.any(Object),
      }),
    ]);
    expect(lettersSent()[0]?.error.message).toMatch(/actor/);
    expect(response.batchItemFailures).toEqual([]);
  });

  it("dead-letters an event too large for the bus without it, naming the history item's key, when the whole letter would exceed SQS's 256 KiB", async () => {
    answerPutEvents();
    refuseMessagesOverSqsLimit();
    const [large] = promotions(1, "x".repeat(300 * 1024));

    const response = await publishChanges(deps, [large as DynamoDBRecord]);

    expect(response.batchItemFailures).toEqual([]);
    expect(putCalls()).toEqual([]);
    const [letter] = lettersSent();
    expect(letter).toEqual({
      reason: "PutEventsFailed",
      error: { code: "EntryTooLarge", message: expect.stringMatching(/bytes; PutEvents takes at most/) },
      attempts: 0,
      record: expect.objectContaining({ sequenceNumber: "100" }),
      item: historyKey("fraud_detector", 1),
      dropped: { field: "event", letterBytes: expect.any(Number), reason: expect.stringMatching(/262144 bytes/) },
      failedAt: now.toISOString(),
    });
    expect(letter?.dropped?.letterBytes).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES);
  });

  it("dead-letters a history item it cannot read without its image when the letter would exceed SQS's 256 KiB", async () => {
    answerPutEvents();
    refuseMessagesOverSqsLimit();
    const { actor: _missing, ...unreadable } = historyItem(
      { action: "STAGE_CHANGED", version: 1, fromStage: "Staging", toStage: "Production", reason: "x".repeat(300 * 1024) },
      { sequence: 1 },
    );

    const response = await publishChanges(deps, [streamRecord(unreadable, "200")]);

    expect(response.batchItemFailures).toEqual([]);
    const [letter] = lettersSent();
    expect(letter).toMatchObject({ reason: "MalformedHistoryItem", item: historyKey("fraud_detector", 1) });
    expect(letter?.dropped?.field).toBe("image");
    expect(letter).not.toHaveProperty("image");
  });

  it("ignores records that are not new history items, and actions that publish nothing", async () => {
    answerPutEvents();
    const model = newModelItem({ name: "fraud_detector", actor: "someone", now: "2026-11-22T10:00:00.000Z" });
    const records = [
      streamRecord(model, "300"),
      streamRecord(historyItem({ action: "MODEL_CREATED" }, { sequence: 1 }), "301"),
      streamRecord(
        historyItem({ action: "STAGE_CHANGED", version: 1, fromStage: "None", toStage: "Staging" }, { sequence: 2 }),
        "302",
        "MODIFY",
      ),
    ];

    const response = await publishChanges(deps, records);

    expect(putCalls()).toEqual([]);
    expect(lettersSent()).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
  });
});

describe("the publisher function", () => {
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it("answers a stream batch with partial batch failures: only the record that could not be dead-lettered", async () => {
    vi.stubEnv("TABLE_NAME", "registry");
    vi.stubEnv("BUS_NAME", "model-registry-test");
    vi.stubEnv("DLQ_URL", DLQ_URL);
    const { handler } = await import("../../functions/publisher/handler");
    answerPutEvents((eventId) => (eventId === "event-1" ? "InternalFailure" : undefined));
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error("Queue gone"), { name: "QueueDoesNotExist" }));

    const response = await handler({ Records: promotions(3) }, lambdaContext);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "100" }] });
    expect(
      putCalls()
        .flat()
        .every((entry) => entry.EventBusName === "model-registry-test"),
    ).toBe(true);
  });
});

import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { measuredChangeLog } from "../../shared/composition";
import { DeadLetterQueue } from "../../shared/events/dead-letters";
import { EventBus } from "../../shared/events/event-bus";
import { publishChanges } from "../../shared/events/publish-changes";
import { createLogger } from "../../shared/logger";
import { createTracing } from "../../shared/tracing";
import type { MetricsRecorder } from "../../shared/metrics";
import type { ModelItem } from "../../shared/store/entities/model";
import { putSemverLabel } from "../../shared/store/entities/semver-label";
import type { RetryPolicy } from "../../shared/store/model-change";
import { recordingMetrics } from "../support/fixtures";
import { historyItem, streamRecord } from "../support/history-records";
import { fixedStore, modelItem as model, transactionCancelled as cancelled, firstInLine } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const eventBridge = mockClient(EventBridgeClient);
afterAll(() => {
  dynamo.restore();
  eventBridge.restore();
});
beforeEach(() => {
  dynamo.reset();
  firstInLine(dynamo);
  eventBridge.reset();
});

const NAME = "fraud_detector";
const who = { actor: "arn:aws:iam::123456789012:role/ci", requestId: "req-3" };
const silent = createLogger({ logLevel: "SILENT" });

/** Contention retried at once: the clock only moves when the retry sleeps. */
function fakeRetry(deadlineMs: number): RetryPolicy {
  let elapsed = 0;
  return { deadlineMs, backoffMs: () => 400, sleep: async (ms) => void (elapsed += ms), now: () => elapsed };
}

const storeCounting = (metrics: MetricsRecorder, retry: RetryPolicy) =>
  fixedStore(documents, { retry, log: measuredChangeLog(silent, metrics) });

describe("the commit engine's metrics", () => {
  it("counts each retry under contention, and the give-up when contention outlasts the deadline", async () => {
    const metrics = recordingMetrics();
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 3 }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["ConditionalCheckFailed"]));

    await expect(
      storeCounting(metrics, fakeRetry(1_000)).change(who, NAME, (current) => ({
        model: current as ModelItem,
        history: [],
        result: () => "done",
      })),
    ).rejects.toMatchObject({ code: "ConcurrentModification" });

    expect(metrics.recorded).toEqual([
      ["ModelChangeRetries", 1],
      ["ModelChangeRetries", 1],
      ["ModelChangeRetries", 1],
      ["ModelChangeRetries", 1],
      ["ModelChangeGaveUp", 1],
    ]);
  });

  it("counts a conflict named by a guarded write, and no retry", async () => {
    const metrics = recordingMetrics();
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 2 }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "ConditionalCheckFailed"]));

    await storeCounting(metrics, fakeRetry(1_000)).changeOrConflict(who, NAME, (current) => ({
      model: current as ModelItem,
      writes: [{ write: putSemverLabel(NAME, "1.0.0", 3), conflict: { semverTaken: "1.0.0" } }],
      history: [],
      result: () => "committed",
    }));

    expect(metrics.recorded).toEqual([["ModelChangeConflicts", 1]]);
  });
});

describe("the publisher's metrics", () => {
  it("counts an entry PutEvents refused once and put again, and no dead letter", async () => {
    const metrics = recordingMetrics();
    let calls = 0;
    eventBridge.on(PutEventsCommand).callsFake(({ Entries = [] }: { Entries: PutEventsRequestEntry[] }) => {
      calls++;
      // The second entry is throttled on the first call only.
      const results = Entries.map((_, i) =>
        calls === 1 && i === 1 ? { ErrorCode: "ThrottlingException" } : { EventId: `eb-${calls}-${i}` },
      );
      return { FailedEntryCount: results.filter((e) => e.ErrorCode).length, Entries: results };
    });
    const records = [1, 2].map((sequence) =>
      streamRecord(
        historyItem({ action: "STAGE_CHANGED", version: sequence, fromStage: "Staging", toStage: "Production" }, { sequence }),
        String(100 + sequence),
      ),
    );

    const answer = await publishChanges(
      {
        bus: new EventBus(
          new EventBridgeClient({ region: "us-east-1" }),
          { attempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
          async () => undefined,
        ),
        deadLetters: new DeadLetterQueue(new SQSClient({ region: "us-east-1" }), "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"),
        busName: "model-registry-test",
        now: () => new Date("2026-11-22T10:00:05.000Z"),
        logger: silent,
        metrics,
      },
      records,
    );

    expect(answer.batchItemFailures).toEqual([]);
    expect(metrics.recorded).toEqual([
      ["EventsRetried", 1],
      ["EventsDeadLettered", 0],
      ["EventsUndelivered", 0],
    ]);
  });
});

describe("tracing", () => {
  const xrayMiddleware = (client: DynamoDBClient) => client.middlewareStack.identify().filter((name) => name.startsWith("XRaySDK"));

  it("records each SDK call as an X-Ray subsegment when the config turns tracing on in Lambda", () => {
    vi.stubEnv("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x");
    try {
      const tracing = createTracing({ tracing: true });
      expect(xrayMiddleware(tracing.capture(new DynamoDBClient({ region: "us-east-1" })))).toHaveLength(1);
      expect(tracing.middleware).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("loads nothing and changes no client when tracing is off", () => {
    const tracing = createTracing({ tracing: false });
    const client = new DynamoDBClient({ region: "us-east-1" });
    expect(tracing.capture(client)).toBe(client);
    expect(xrayMiddleware(client)).toEqual([]);
    expect(tracing.middleware).toEqual([]);
  });
});

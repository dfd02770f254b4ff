import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { decorrelatedJitter, unchanged, type ChangeLog, type Contention, type RetryPolicy } from "../../shared/store/model-change";
import type { ModelItem } from "../../shared/store/entities/model";
import { putSemverLabel } from "../../shared/store/entities/semver-label";
import { fixedStore, modelItem as model, transactionCancelled as cancelled, firstInLine } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const NAME = "fraud_detector";
const who = { actor: "arn:aws:iam::123456789012:role/ci", requestId: "req-3" };

type Put = {
  Put: {
    Item: Record<string, unknown>;
    ConditionExpression: string;
    ExpressionAttributeValues?: Record<string, unknown>;
    TableName: string;
  };
};
const transaction = (call = 0) => dynamo.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems as Put[];

/** A clock that only the retry's sleep moves: waiting costs no real time. */
function fakeRetry(deadlineMs: number, backoffMs: number): RetryPolicy & { slept: number[] } {
  let elapsed = 0;
  const slept: number[] = [];
  return {
    deadlineMs,
    backoffMs: () => backoffMs,
    sleep: async (ms) => {
      slept.push(ms);
      elapsed += ms;
    },
    now: () => elapsed,
    slept,
  };
}

function recordingLog(): ChangeLog & { entries: { level: string; message: string; attributes: Record<string, unknown> }[] } {
  const entries: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    entries,
    info: (message, attributes) => entries.push({ level: "info", message, attributes }),
    warn: (message, attributes) => entries.push({ level: "warn", message, attributes }),
  };
}

const storeWith = (retry: RetryPolicy, log: ChangeLog = recordingLog()) => fixedStore(documents, { retry, log });

/** One model item that honours the revision condition as DynamoDB does: a commit planned from a stale read is cancelled. */
function modelTable(): () => ModelItem {
  let stored = model({ revision: 1 });
  dynamo.on(GetCommand).callsFake(async () => ({ Item: stored }));
  dynamo.on(TransactWriteCommand).callsFake(async (input: { TransactItems: Put[] }) => {
    const put = input.TransactItems[0]!.Put;
    if (put.ExpressionAttributeValues?.[":seen"] !== stored.revision) throw cancelled(["ConditionalCheckFailed"]);
    stored = put.Item as unknown as ModelItem;
    return {};
  });
  return () => stored;
}

/** A change that takes the model's next version number, as registration does. */
const nextNumber = (current: ModelItem | undefined) => {
  const model = current as ModelItem;
  return { model: { ...model, latestVersion: model.latestVersion + 1 }, history: [], result: () => model.latestVersion + 1 };
};

beforeEach(() => {
  dynamo.reset();
  firstInLine(dynamo);
});

describe("the commit engine", () => {
  it("answers 409 ConcurrentModification once contention outlasts the retry deadline, logging every retry with its attempt", async () => {
    const retry = fakeRetry(1_000, 400);
    const log = recordingLog();
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 3 }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["ConditionalCheckFailed"]));

    await expect(
      storeWith(retry, log).change(who, NAME, (current) => ({ model: current as ModelItem, history: [], result: () => "done" })),
    ).rejects.toMatchObject({
      code: "ConcurrentModification",
    });

    // The first re-plan goes at once (the winner has committed); the policy's waits come after.
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(5);
    expect(retry.slept).toEqual([400, 400, 400]);
    expect(log.entries.map((e) => [e.level, e.attributes.model, e.attributes.attempt])).toEqual([
      ["info", NAME, 0],
      ["info", NAME, 1],
      ["info", NAME, 2],
      ["info", NAME, 3],
      ["warn", NAME, 4],
    ]);
  });

  it("re-plans at once after the first contention, then waits as the policy says, telling it each attempt's measured duration and the previous wait", async () => {
    let elapsed = 0;
    const asked: Contention[] = [];
    const retry: RetryPolicy = {
      deadlineMs: 10_000,
      backoffMs: (contention) => {
        asked.push(contention);
        return 100 * contention.attempt;
      },
      sleep: async (ms) => void (elapsed += ms),
      now: () => elapsed,
    };
    // Each read of the model takes 30 ms on the injected clock.
    dynamo.on(GetCommand).callsFake(async () => {
      elapsed += 30;
      return { Item: model({ revision: 3 }) };
    });
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(["ConditionalCheckFailed"]))
      .rejectsOnce(cancelled(["ConditionalCheckFailed"]))
      .rejectsOnce(cancelled(["TransactionConflict"]))
      .resolves({});

    const answer = await storeWith(retry).change(who, NAME, (current) => ({
      model: current as ModelItem,
      history: [],
      result: () => "done",
    }));

    expect(answer).toBe("done");
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
    expect(asked).toEqual([
      { attempt: 1, attemptMs: 30, previousMs: 0 },
      { attempt: 2, attemptMs: 30, previousMs: 100 },
    ]);
    expect(elapsed).toBe(4 * 30 + 100 + 200);
  });

  it("commits this process's concurrent changes of one model one after another, none refused, numbered without gaps", async () => {
    const table = modelTable();
    const log = recordingLog();
    const store = storeWith(fakeRetry(60_000, 1), log);

    const numbers = await Promise.all(Array.from({ length: 20 }, () => store.change(who, NAME, nextNumber)));

    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(20);
    expect(log.entries).toEqual([]);
    expect(table()).toMatchObject({ revision: 21, latestVersion: 20 });
  });

  it("still numbers without gaps when the changes come from separate processes, which contend and re-plan", async () => {
    const table = modelTable();
    const log = recordingLog();
    // A store each, as Lambda gives each concurrent request a process of its own.
    const numbers = await Promise.all(Array.from({ length: 20 }, () => storeWith(fakeRetry(60_000, 1), log).change(who, NAME, nextNumber)));

    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log.entries.length).toBeGreaterThan(0);
    expect(table()).toMatchObject({ revision: 21, latestVersion: 20 });
  });

  it("records its turn ticket as served in the model's own write", async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { issued: 8 } });
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 7, served: 7 }) });
    dynamo.on(TransactWriteCommand).resolves({});

    await storeWith(fakeRetry(1_000, 1)).change(who, NAME, nextNumber);

    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: `MODEL#${NAME}`, sk: "TURN_TICKETS" },
      UpdateExpression: "ADD issued :one SET entity = :entity, schemaVersion = :schemaVersion",
    });
    expect(transaction()[0]?.Put.Item).toMatchObject({ served: 8, revision: 8 });
  });

  it("waits while earlier tickets' turns go on, then plans on the model as read when its turn came", async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { issued: 3 } });
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: model({ revision: 1, latestVersion: 0 }) })
      .resolvesOnce({ Item: model({ revision: 2, latestVersion: 1, served: 1 }) })
      .resolves({ Item: model({ revision: 3, latestVersion: 2, served: 2 }) });
    dynamo.on(TransactWriteCommand).resolves({});

    const number = await storeWith(fakeRetry(1_000, 1)).change(who, NAME, nextNumber);

    expect(number).toBe(3);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(transaction()[0]?.Put).toMatchObject({ ExpressionAttributeValues: { ":seen": 3 }, Item: { served: 3, latestVersion: 3 } });
  });

  it("ends a turn that commits nothing on its own, never creating the model", async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: { issued: 2 } });
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: model({ revision: 1 }) })
      .resolves({ Item: model({ revision: 2, served: 1, description: "done meanwhile" }) });

    const answer = await storeWith(fakeRetry(1_000, 1)).change(who, NAME, (current) =>
      current?.description
        ? unchanged("already")
        : { model: { ...(current as ModelItem), description: "done" }, history: [], result: () => "did" },
    );

    expect(answer).toBe("already");
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateCommand)[1]?.args[0].input).toMatchObject({
      Key: { pk: `MODEL#${NAME}`, sk: "MODEL" },
      UpdateExpression: "SET served = :ticket",
      ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(served) OR served < :ticket)",
      ExpressionAttributeValues: { ":ticket": 2 },
    });
  });

  it("still answers when it cannot record its turn as ended, and logs that the turn was left open", async () => {
    const log = recordingLog();
    dynamo.on(UpdateCommand, { Key: { pk: `MODEL#${NAME}`, sk: "TURN_TICKETS" } }).resolves({ Attributes: { issued: 1 } });
    dynamo.on(UpdateCommand, { Key: { pk: `MODEL#${NAME}`, sk: "MODEL" } }).rejects(new Error("throttled"));
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 1 }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "ConditionalCheckFailed"]));
    const taken = { write: putSemverLabel(NAME, "1.0.0", 1), conflict: "taken" as const };

    const outcome = await storeWith(fakeRetry(1_000, 1), log).changeOrConflict(who, NAME, (current) => ({
      model: current as ModelItem,
      writes: [taken],
      history: [],
      result: () => "done",
    }));

    expect(outcome).toEqual({ conflict: "taken" });
    expect(log.entries.at(-1)).toMatchObject({ level: "warn", attributes: { outcome: "turnLeftOpen", model: NAME, error: "throttled" } });
  });

  it("bumps the revision and conditions the model on the one it read, even for a change that writes no history", async () => {
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 7, historySequence: 12 }) });
    dynamo.on(TransactWriteCommand).resolves({});

    await storeWith(fakeRetry(1_000, 1)).change(who, NAME, (current) => ({
      model: current as ModelItem,
      history: [],
      result: () => undefined,
    }));

    const [modelPut, ...rest] = transaction();
    expect(rest).toEqual([]);
    expect(modelPut?.Put).toMatchObject({
      TableName: "registry",
      ConditionExpression: "revision = :seen",
      ExpressionAttributeValues: { ":seen": 7 },
      Item: { revision: 8, historySequence: 12 },
    });
  });

  it("gives a model from before revisions its first one, pinned by its history sequence", async () => {
    dynamo.on(GetCommand).resolves({ Item: model({ historySequence: 4 }) });
    dynamo.on(TransactWriteCommand).resolves({});

    await storeWith(fakeRetry(1_000, 1)).change(who, NAME, (current) => ({
      model: current as ModelItem,
      history: [],
      result: () => undefined,
    }));

    expect(transaction()[0]?.Put).toMatchObject({
      ConditionExpression: "attribute_not_exists(revision) AND historySequence = :seen",
      ExpressionAttributeValues: { ":seen": 4 },
      Item: { revision: 1 },
    });
  });

  it("writes nothing when the plan says unchanged, and answers with the plan's answer", async () => {
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 2 }) });

    const answer = await storeWith(fakeRetry(1_000, 1)).change(who, NAME, () => unchanged("as it was"));

    expect(answer).toBe("as it was");
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("ends with the conflict a failed guarded write names, without retrying, and logs it", async () => {
    const log = recordingLog();
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 2 }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "ConditionalCheckFailed"]));

    const outcome = await storeWith(fakeRetry(1_000, 1), log).changeOrConflict(who, NAME, (current) => ({
      model: current as ModelItem,
      writes: [{ write: putSemverLabel(NAME, "1.0.0", 3), conflict: { semverTaken: "1.0.0" } }],
      history: [],
      result: () => "committed",
    }));

    expect(outcome).toEqual({ conflict: { semverTaken: "1.0.0" } });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(log.entries).toEqual([
      expect.objectContaining({ attributes: expect.objectContaining({ model: NAME, attempt: 0, conflict: { semverTaken: "1.0.0" } }) }),
    ]);
  });

  it("re-plans when a guarded write that names no conflict fails: that is contention", async () => {
    dynamo.on(GetCommand).resolves({ Item: model({ revision: 2 }) });
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(["None", "ConditionalCheckFailed"]))
      .resolves({});
    let plans = 0;

    const answer = await storeWith(fakeRetry(1_000, 1)).change(who, NAME, (current) => {
      plans++;
      return { model: current as ModelItem, writes: [{ write: putSemverLabel(NAME, "1.0.0", 3) }], history: [], result: () => "committed" };
    });

    expect([answer, plans]).toEqual(["committed", 2]);
  });

  it("refuses to read an item of a schema version this release does not know, saying so", async () => {
    dynamo.on(GetCommand).resolves({ Item: { ...model({}), schemaVersion: 2 } });

    await expect(storeWith(fakeRetry(1_000, 1)).getModel(NAME)).rejects.toThrow(
      `Item MODEL#${NAME}/MODEL is model schema version 2; this release reads version 1 only.`,
    );
  });
});

describe("decorrelated jitter, the default wait between contended attempts", () => {
  const contention = (attemptMs: number, previousMs: number): Contention => ({ attempt: 2, attemptMs, previousMs });

  it("waits at least one attempt's duration and at most three times the longer of it and the previous wait", () => {
    expect(decorrelatedJitter(() => 0)(contention(40, 0))).toBe(40);
    expect(decorrelatedJitter(() => 1)(contention(40, 0))).toBe(120);
    expect(decorrelatedJitter(() => 1)(contention(40, 300))).toBe(900);
    expect(decorrelatedJitter(() => 0.5)(contention(40, 300))).toBe(470);
  });

  it("scales with the measured attempt, so a slow table spreads contenders as widely as a fast one", () => {
    const wait = decorrelatedJitter(() => 0.5);
    expect(wait(contention(400, 0))).toBe(10 * wait(contention(40, 0)));
  });

  it("never waits more than 2 s", () => {
    expect(decorrelatedJitter(() => 1)(contention(100, 1_500))).toBe(2_000);
    expect(decorrelatedJitter(() => 0)(contention(5_000, 0))).toBe(2_000);
  });
});

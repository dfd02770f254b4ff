import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalEventBridge, type DeliveredEvent, type LocalEventBridge } from "../../infra/local/eventbridge";
import { startStreamTailer, type RunningTailer } from "../../infra/local/stream-tailer";
import { OUTBOX_STREAM_FILTER, type ModelEventDetail } from "../../shared/events/model-events";
import { ROLES, type Caller } from "../../shared/domain/permissions";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { setAliasBody } from "../../shared/schemas/alias";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { setAlias } from "../../shared/use-cases/set-alias";
import { registerVersion } from "../../shared/use-cases/register-version";
import { createModel } from "../../shared/use-cases/create-model";
import { completeAndVerify } from "../support/verification";
import type { UploadView } from "../../shared/schemas/artifact";
import { lambdaContext, putBytes, sha256, singlePut } from "../support/fixtures";
import { createTestRegistry, uniqueModelName, useRegistryEnvironment, type TestRegistry } from "../support/registry";
import { startWebhook, waitFor, type Webhook } from "../support/webhook";

/**
 * The outbox end to end on local engines: use cases commit to DynamoDB Local, the stream tailer
 * hands new history items to the real publisher handler, whose EventBridgeClient puts them on
 * the local bus, which logs them to events.jsonl and delivers them to webhooks by rule.
 */

const release: Caller = { actor: "arn:aws:sts::123456789012:assumed-role/release-ci/run-7", requestId: "req-events", roles: ROLES };
let registry: TestRegistry;
let bus: LocalEventBridge;
let tailer: RunningTailer;
let dataDir: string;
let everything: Webhook;
let productionDeploys: Webhook;

type Event = DeliveredEvent & { detail: ModelEventDetail };

async function eventsOf(model: string): Promise<Event[]> {
  const lines = (await readFile(bus.eventsLog, "utf8").catch(() => "")).split("\n").filter(Boolean);
  return lines.map((line) => JSON.parse(line) as Event).filter((event) => event.detail.model === model);
}

const waitForEvents = (model: string, count: number) =>
  waitFor(
    () => eventsOf(model),
    (events) => events.length >= count,
  );

/** What the test asserts of each event: its type and the detail fields that say what changed. */
const summary = (event: Event) => {
  const { detail } = event;
  return [event["detail-type"], detail.sequence, detail.version, detail.fromStage, detail.toStage, detail.previousVersion];
};

/** Registers a version with fresh bytes to upload; returns its number and what completing it needs. */
async function register(name: string): Promise<{ version: number; bytes: Buffer; upload: UploadView | null }> {
  const bytes = randomBytes(4096);
  const body = registerVersionBody.parse({
    artifact: { filename: "model.tar.gz", sizeBytes: bytes.length, sha256: sha256(bytes) },
    metrics: { auc: 0.93 },
  });
  const { version, upload } = await registerVersion(registry.deps, name, body, release);
  return { version, bytes, upload };
}

/** What a training cluster does next: PUT the bytes with the headers it was given, then complete (→ READY). */
async function uploadAndComplete(name: string, registered: { version: number; bytes: Buffer; upload: UploadView | null }): Promise<void> {
  await putBytes(singlePut(registered.upload), registered.bytes);
  await completeAndVerify(registry.deps, name, { number: registered.version }, release);
}

const move = (name: string, version: number, to: string, reason: string) =>
  transitionVersion(registry.deps, name, { number: version }, transitionBody.parse({ to, reason }), release);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-outbox-"));
  [everything, productionDeploys] = await Promise.all([startWebhook(), startWebhook()]);
  await writeFile(
    join(dataDir, "rules.json"),
    JSON.stringify([
      { name: "everything", eventPattern: { source: ["model-registry"] }, targets: [{ url: everything.url }] },
      {
        name: "production-deploys",
        eventPattern: { source: ["model-registry"], "detail-type": ["Model Version Stage Changed"], detail: { toStage: ["Production"] } },
        targets: [{ url: productionDeploys.url }],
      },
    ]),
  );
  bus = await startLocalEventBridge({
    dataDir,
    busName: "model-registry-test",
    delivery: { baseDelayMs: 100, maxDelayMs: 400, maxAttempts: 100 },
    log: () => undefined,
  });
  registry = await createTestRegistry(
    {
      endpoints: { dynamodb: inject("dynamoEndpoint"), s3: inject("s3Endpoint"), events: bus.endpoint },
      deadLetterQueueUrl: bus.queueUrl("dead-letters"),
    },
    { stream: true },
  );
  useRegistryEnvironment(registry);
  const { handler } = await import("../../functions/publisher/handler");
  tailer = await startStreamTailer({
    endpoint: registry.config.endpoints.dynamodb as string,
    region: registry.config.region,
    tableName: registry.config.tableName,
    filter: OUTBOX_STREAM_FILTER,
    handler: (event) => handler(event, lambdaContext),
    log: () => undefined,
  });
});

afterAll(async () => {
  await tailer?.stop();
  await bus?.stop();
  await Promise.all([everything?.stop(), productionDeploys?.stop()]);
  await registry?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("committed changes on the bus", () => {
  it("announces register → ready → Staging → Production → rollback in sequence order, with from, to and the previous version", async () => {
    const name = uniqueModelName("fraud_detector");
    const first = await register(name);
    await uploadAndComplete(name, first);
    await move(name, 1, "Staging", "offline evaluation passed");
    await move(name, 1, "Production", "first release");
    const second = await register(name);
    await uploadAndComplete(name, second);
    await move(name, 2, "Staging", "offline evaluation passed");
    await move(name, 2, "Production", "AUC +2.1%");
    await rollbackProduction(registry.deps, name, { reason: "latency regression" }, release);

    const events = await waitForEvents(name, 11);

    expect(events.map(summary)).toEqual([
      ["Model Version Registered", 2, 1, undefined, undefined, undefined],
      ["Model Version Ready", 3, 1, undefined, undefined, undefined],
      ["Model Version Stage Changed", 4, 1, "None", "Staging", undefined],
      ["Model Version Stage Changed", 5, 1, "Staging", "Production", undefined],
      ["Model Version Registered", 6, 2, undefined, undefined, undefined],
      ["Model Version Ready", 7, 2, undefined, undefined, undefined],
      ["Model Version Stage Changed", 8, 2, "None", "Staging", undefined],
      ["Model Version Stage Changed", 9, 2, "Staging", "Production", 1],
      ["Model Version Stage Changed", 10, 1, "Production", "Archived", undefined],
      ["Model Version Stage Changed", 11, 1, "Archived", "Production", 2],
      ["Model Version Stage Changed", 12, 2, "Production", "Archived", undefined],
    ]);
    expect(events.at(-2)).toMatchObject({
      source: "model-registry",
      resources: [`models:/${name}/1`],
      detail: { actor: release.actor, reason: "latency regression" },
    });
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(11);
    const digest = sha256(first.bytes);
    expect(events[1]?.detail.artifact).toEqual({ uri: expect.stringContaining(digest), sha256: digest, sizeBytes: 4096 });

    // The rule for Production moves delivered exactly those, to its own target.
    const deployed = await waitFor(
      () => productionDeploys.received.filter((e) => (e.detail as ModelEventDetail).model === name),
      (received) => received.length >= 3,
    );
    expect(deployed.map((e) => (e.detail as ModelEventDetail).sequence).sort((a, b) => a - b)).toEqual([5, 9, 11]);
  });

  it("publishes changes whose history items hold empty maps, and dead-letters nothing", async () => {
    const name = uniqueModelName("fraud_detector");
    await createModel(registry.deps, { name }, release); // MODEL_CREATED with `changes: {}`
    const registered = await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({ source: "s3://models/1", tags: {} }),
      release,
    );
    await move(name, registered.version, "Staging", "offline evaluation passed");

    const events = await waitForEvents(name, 2);

    expect(events.map(summary)).toEqual([
      ["Model Version Registered", 2, 1, undefined, undefined, undefined],
      ["Model Version Stage Changed", 3, 1, "None", "Staging", undefined],
    ]);
    const deadLetters = await readFile(bus.deadLettersLog, "utf8").catch(() => "");
    expect(deadLetters).not.toContain(name);
  });

  it("announces nothing for a transition refused with 409", async () => {
    const name = uniqueModelName("fraud_detector");
    await uploadAndComplete(name, await register(name));
    await move(name, 1, "Staging", "ready for shadow traffic");

    await expect(move(name, 1, "None", "undo")).rejects.toMatchObject({ code: "TransitionNotAllowed" });
    // The next committed change is announced right after the one before the refusal: nothing came between.
    await setAlias(registry.deps, name, "challenger", setAliasBody.parse({ version: 1, reason: "shadow" }), release);

    const events = await waitForEvents(name, 4);
    expect(events.map((e) => [e["detail-type"], e.detail.sequence])).toEqual([
      ["Model Version Registered", 2],
      ["Model Version Ready", 3],
      ["Model Version Stage Changed", 4],
      ["Model Alias Changed", 5],
    ]);
  });

  it("announces only the winner of two concurrent promotions; the cancelled one leaves no event", async () => {
    const name = uniqueModelName("fraud_detector");
    for (const version of [1, 2]) {
      await uploadAndComplete(name, await register(name));
      await move(name, version, "Staging", "candidate");
    }
    const promote = (version: number) =>
      transitionVersion(
        registry.deps,
        name,
        { number: version },
        transitionBody.parse({ to: "Production", reason: "race", expectedCurrentVersion: null }),
        release,
      );

    const outcomes = await Promise.allSettled([promote(1), promote(2)]);

    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(outcomes.find((o) => o.status === "rejected")).toMatchObject({ reason: { code: "StageConflict" } });
    // A later change is the next event in sequence: nothing was announced for the loser.
    await setAlias(registry.deps, name, "champion", setAliasBody.parse({ version: 1, reason: "after the race" }), release);
    const events = await waitForEvents(name, 8);
    expect(events.map((e) => [e["detail-type"], e.detail.sequence, e.detail.toStage])).toEqual([
      ["Model Version Registered", 2, undefined],
      ["Model Version Ready", 3, undefined],
      ["Model Version Stage Changed", 4, "Staging"],
      ["Model Version Registered", 5, undefined],
      ["Model Version Ready", 6, undefined],
      ["Model Version Stage Changed", 7, "Staging"],
      ["Model Version Stage Changed", 8, "Production"],
      ["Model Alias Changed", 9, undefined],
    ]);
  });

  it("delivers to a target that was down once it is back", async () => {
    const name = uniqueModelName("fraud_detector");
    await waitFor(
      () => bus.pendingDeliveries(),
      (n) => n === 0,
    ); // earlier tests' deliveries are done
    const failedBefore = bus.failedDeliveryAttempts();
    await everything.stop();
    await uploadAndComplete(name, await register(name));

    // Logged at once, but not delivered while the target is down, however often the bus tries.
    await waitForEvents(name, 2);
    await waitFor(
      () => bus.failedDeliveryAttempts(),
      (n) => n >= failedBefore + 2,
    );
    expect(everything.received.filter((e) => (e.detail as ModelEventDetail).model === name)).toEqual([]);
    await everything.start();

    const received = await waitFor(
      () => everything.received.filter((e) => (e.detail as ModelEventDetail).model === name),
      (events) => events.length === 2,
    );
    expect(received.map((e) => (e.detail as ModelEventDetail).sequence).sort()).toEqual([2, 3]);
  });
});

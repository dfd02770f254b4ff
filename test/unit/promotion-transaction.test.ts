import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { modelKey, type ModelItem } from "../../shared/store/entities/model";
import { toVersionView, versionKey, type VersionItem } from "../../shared/store/entities/version";
import { newProductionPointer, productionPointerKey } from "../../shared/store/entities/stage-pointer";
import { newPolicyItem, policyKey } from "../../shared/store/entities/policy";
import type { PromotionPolicy } from "../../shared/schemas/policy";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { ROLES, type Caller } from "../../shared/domain/permissions";
import type { PromotionDeps } from "../../shared/use-cases/deps";
import { PromotionReads } from "../../shared/store/promotion-reads";
import type { Stage } from "../../shared/schemas/version";
import { fixedStore, modelItem, transactionCancelled as cancelled, firstInLine } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const deps = {
  store: fixedStore(documents),
  promotionReads: new PromotionReads(documents, "registry"),
  namingPolicy: "strict",
} as PromotionDeps;
const deployer: Caller = { actor: "arn:aws:iam::123456789012:role/deployer", requestId: "req-9", roles: ROLES };
const NAME = "fraud_detector";

const model = (fields: Partial<ModelItem>): ModelItem => modelItem({ historySequence: 5, ...fields });
const version = (number: number, stage: Stage, status = "READY") =>
  ({
    ...versionKey(NAME, number),
    entity: "version",
    schemaVersion: 1,
    model: NAME,
    version: number,
    stage,
    status,
    metrics: { auc: 0.97 },
    params: {},
    features: [],
    dependencies: {},
    lineage: { parentVersions: [], datasets: [] },
    tags: {},
    createdBy: "trainer",
    createdAt: "t",
    updatedAt: "t",
  }) as VersionItem;
const policy = (revision: number, gates: PromotionPolicy) => newPolicyItem({ model: NAME, revision, gates, actor: "admin", now: "t" });
const promote = (to: Stage = "Production", extra: Record<string, unknown> = {}) =>
  transitionVersion(deps, NAME, { number: 2 }, transitionBody.parse({ to, reason: "canary ok", ...extra }), deployer);

type Item = Record<string, Record<string, unknown>>;
const transaction = (call = 0) => dynamo.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems as Item[];

function given(items: { model: ModelItem; versions: VersionItem[]; policyRevision?: number; pointer?: number }) {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, { Key: modelKey(NAME) }).resolves({ Item: items.model });
  for (const v of items.versions) dynamo.on(GetCommand, { Key: versionKey(NAME, v.version) }).resolves({ Item: v });
  if (items.policyRevision)
    dynamo
      .on(GetCommand, { Key: policyKey(NAME) })
      .resolves({ Item: policy(items.policyRevision, { Production: { minMetrics: { auc: 0.9 } } }) });
  if (items.pointer)
    dynamo
      .on(GetCommand, { Key: productionPointerKey(NAME) })
      .resolves({ Item: newProductionPointer(toVersionView(version(items.pointer, "Production"))) });
}

beforeEach(() => {
  dynamo.reset();
  firstInLine(dynamo);
});

describe("a promotion's transaction", () => {
  it("is one TransactWriteItems: model, version, displaced occupant, pointer, policy check and two history entries, each conditioned", async () => {
    given({ model: model({ stages: { Production: 1, Staging: [2] } }), versions: [version(2, "Staging")], policyRevision: 3 });
    dynamo.on(TransactWriteCommand).resolves({});

    await expect(promote()).resolves.toEqual({ version: 2, from: "Staging", to: "Production", archived: [1] });

    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const [modelPut, versionUpdate, occupantUpdate, pointerPut, policyCheck, promoted, archived] = transaction();
    expect(modelPut?.Put).toMatchObject({
      ConditionExpression: "attribute_not_exists(revision) AND historySequence = :seen",
      Item: { stages: { Production: 2 }, historySequence: 7 },
    });
    expect(versionUpdate?.Update).toMatchObject({
      Key: versionKey(NAME, 2),
      ConditionExpression: "#stage = :from AND #status = :status",
      ExpressionAttributeValues: { ":from": "Staging", ":to": "Production", ":status": "READY", ":gsi1pk": "STAGE#Production" },
    });
    expect(occupantUpdate?.Update).toMatchObject({
      Key: versionKey(NAME, 1),
      ExpressionAttributeValues: { ":from": "Production", ":to": "Archived" },
    });
    expect(pointerPut?.Put).toMatchObject({
      ConditionExpression: "version = :occupant",
      ExpressionAttributeValues: { ":occupant": 1 },
      Item: { ...productionPointerKey(NAME), version: 2, snapshot: { version: 2, stage: "Production", uri: `models:/${NAME}/2` } },
    });
    expect(policyCheck?.ConditionCheck).toMatchObject({
      Key: policyKey(NAME),
      ConditionExpression: "revision = :revision",
      ExpressionAttributeValues: { ":revision": 3 },
    });
    expect(promoted?.Put?.Item).toMatchObject({
      sequence: 6,
      action: "STAGE_CHANGED",
      version: 2,
      fromStage: "Staging",
      toStage: "Production",
      previousVersion: 1,
      reason: "canary ok",
    });
    expect(archived?.Put?.Item).toMatchObject({
      sequence: 7,
      action: "STAGE_CHANGED",
      version: 1,
      fromStage: "Production",
      toStage: "Archived",
      reason: "canary ok",
    });
  });

  it("conditions the pointer on absence and the policy on not existing when Production is empty and there is no policy", async () => {
    given({ model: model({ stages: { Staging: [2] } }), versions: [version(2, "Staging")] });
    dynamo.on(TransactWriteCommand).resolves({});

    await promote();

    const [, , pointerPut, policyCheck] = transaction();
    expect(pointerPut?.Put?.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(policyCheck?.ConditionCheck?.ConditionExpression).toBe("attribute_not_exists(pk)");
  });
});

describe("a cancelled promotion", () => {
  it("maps a failed pointer condition to 409 StageConflict naming the occupant it re-reads", async () => {
    given({ model: model({ stages: { Production: 1, Staging: [2] } }), versions: [version(2, "Staging")], pointer: 7 });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "None", "None", "ConditionalCheckFailed", "None", "None", "None"]));

    await expect(promote()).rejects.toMatchObject({ code: "StageConflict", details: { expected: 1, actual: 7 } });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it("maps a failed condition on the displaced occupant to 409 StageConflict", async () => {
    given({ model: model({ stages: { Production: 1, Staging: [2] } }), versions: [version(2, "Staging")], pointer: 4 });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "None", "ConditionalCheckFailed", "None", "None", "None", "None"]));

    await expect(promote()).rejects.toMatchObject({ code: "StageConflict", details: { expected: 1, actual: 4 } });
  });

  it("maps a failed version condition to 409 VersionNotReady when the re-read version is not READY", async () => {
    given({ model: model({ stages: {} }), versions: [version(2, "None")] });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "ConditionalCheckFailed", "None", "None"]));
    dynamo
      .on(GetCommand, { Key: versionKey(NAME, 2) })
      .resolvesOnce({ Item: version(2, "None") })
      .resolvesOnce({ Item: version(2, "None") })
      .resolves({ Item: version(2, "None", "FAILED") });

    await expect(promote("Staging")).rejects.toMatchObject({
      code: "VersionNotReady",
      details: { version: 2, status: "FAILED" },
    });
  });

  it("maps a failed version condition to 409 TransitionNotAllowed when the version has moved", async () => {
    given({ model: model({ stages: {} }), versions: [version(2, "None")] });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "ConditionalCheckFailed", "None", "None"]));
    dynamo
      .on(GetCommand, { Key: versionKey(NAME, 2) })
      .resolvesOnce({ Item: version(2, "None") })
      .resolvesOnce({ Item: version(2, "None") })
      .resolves({ Item: version(2, "Archived") });

    await expect(promote("Staging")).rejects.toMatchObject({
      code: "TransitionNotAllowed",
      details: { expected: "None", actual: "Archived" },
    });
  });

  it("re-plans after a model-item conflict and refuses with StageConflict when Production changed meanwhile, instead of promoting over it", async () => {
    given({ model: model({ stages: { Production: 1, Staging: [2, 3] } }), versions: [version(2, "Staging")] });
    dynamo
      .on(GetCommand, { Key: modelKey(NAME) })
      .resolvesOnce({ Item: model({ stages: { Production: 1, Staging: [2, 3] } }) })
      .resolves({ Item: model({ historySequence: 7, stages: { Production: 3, Staging: [2] } }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["ConditionalCheckFailed", "None", "None", "None", "None", "None", "None"]));

    await expect(promote()).rejects.toMatchObject({ code: "StageConflict", details: { expected: 1, actual: 3 } });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it("re-plans after a policy revision conflict and meets the new policy with 422", async () => {
    given({ model: model({ stages: { Staging: [2] } }), versions: [version(2, "Staging")] });
    dynamo
      .on(GetCommand, { Key: policyKey(NAME) })
      .resolvesOnce({ Item: policy(1, { Production: { minMetrics: { auc: 0.9 } } }) })
      .resolves({ Item: policy(2, { Production: { minMetrics: { auc: 0.99 } } }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "None", "None", "ConditionalCheckFailed", "None"]));

    await expect(promote()).rejects.toMatchObject({
      code: "PolicyViolation",
      details: [{ rule: "minMetrics.auc", actual: 0.97 }],
    });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});

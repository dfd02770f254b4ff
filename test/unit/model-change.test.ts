import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { registerVersion } from "../../shared/use-cases/register-version";
import { registerVersionBody } from "../../shared/schemas/version";
import type { ArtifactDeps } from "../../shared/use-cases/deps";
import { S3Client } from "@aws-sdk/client-s3";
import { ArtifactBucket } from "../../shared/store/artifact-bucket";
import { DEFAULT_UPLOAD_SETTINGS } from "../../shared/config";
import { recordingQueue } from "../support/fixtures";
import { FIXED_NOW, fixedStore, modelItem as model, transactionCancelled as cancelled, firstInLine } from "../support/mocked-store";

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
const dynamo = mockClient(documents);
const deps: ArtifactDeps = {
  store: fixedStore(documents),
  namingPolicy: "strict",
  artifacts: new ArtifactBucket(new S3Client({ region: "us-east-1" }), "artifacts", {
    uploadUrlExpirySeconds: 900,
    clock: () => FIXED_NOW,
  }),
  uploads: DEFAULT_UPLOAD_SETTINGS,
  verifications: recordingQueue(),
};
const ci = { actor: "arn:aws:iam::123456789012:role/ci", requestId: "req-7" };

type Put = { Put: { Item: Record<string, unknown>; ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> } };
const transactItems = (call: number) => dynamo.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems as Put[];

beforeEach(() => {
  dynamo.reset();
  firstInLine(dynamo);
});

describe("a model change", () => {
  it("re-reads the model and retries when a concurrent registration took the next number", async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: model({ latestVersion: 3, historySequence: 4 }) })
      .resolves({ Item: model({ latestVersion: 4, historySequence: 5 }) });
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(["ConditionalCheckFailed", "None", "None"]))
      .resolves({});

    const registered = await registerVersion(deps, "fraud_detector", registerVersionBody.parse({ source: "s3://m" }), ci);

    expect(registered.version).toBe(5);
    const [modelPut, versionPut, historyPut] = transactItems(1);
    expect(modelPut?.Put.ConditionExpression).toBe("attribute_not_exists(revision) AND historySequence = :seen");
    expect(modelPut?.Put.ExpressionAttributeValues).toEqual({ ":seen": 5 });
    expect(modelPut?.Put.Item).toMatchObject({ latestVersion: 5, historySequence: 6 });
    expect(versionPut?.Put.Item).toMatchObject({ sk: "VERSION#0000000005", createdBy: ci.actor, createdAt: FIXED_NOW.toISOString() });
    expect(historyPut?.Put.Item).toMatchObject({
      sk: "HISTORY#0000000006",
      sequence: 6,
      action: "VERSION_REGISTERED",
      actor: ci.actor,
      requestId: "req-7",
      eventId: "event-id",
    });
  });

  it("creates the model in the same transaction when it is absent, guarded by attribute_not_exists", async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(TransactWriteCommand).resolves({});

    await registerVersion(deps, "fraud_detector", registerVersionBody.parse({ source: "s3://m" }), ci);

    const [modelPut, , created, registeredEntry] = transactItems(0);
    expect(modelPut?.Put.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(modelPut?.Put.Item).toMatchObject({ name: "fraud_detector", latestVersion: 1, historySequence: 2, createdBy: ci.actor });
    expect([created?.Put.Item.action, registeredEntry?.Put.Item.action]).toEqual(["MODEL_CREATED", "VERSION_REGISTERED"]);
  });

  it("maps a failed semver label condition to 409 SemverConflict without retrying", async () => {
    dynamo.on(GetCommand).resolves({ Item: model({ latestVersion: 1, historySequence: 2 }) });
    dynamo.on(TransactWriteCommand).rejects(cancelled(["None", "None", "ConditionalCheckFailed", "None"]));

    await expect(
      registerVersion(deps, "fraud_detector", registerVersionBody.parse({ source: "s3://m", semver: "1.0.0" }), ci),
    ).rejects.toMatchObject({ code: "SemverConflict" });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it("lets an unexpected DynamoDB failure through unchanged", async () => {
    dynamo.on(GetCommand).resolves({ Item: model({}) });
    dynamo.on(TransactWriteCommand).rejects(new Error("ProvisionedThroughputExceeded"));

    await expect(registerVersion(deps, "fraud_detector", registerVersionBody.parse({ source: "s3://m" }), ci)).rejects.toThrow(
      "ProvisionedThroughputExceeded",
    );
  });
});

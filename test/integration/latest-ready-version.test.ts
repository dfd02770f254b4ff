import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { completeAndVerify } from "../support/verification";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createDynamoDbClient } from "../../shared/clients";
import { artifactObjectKey } from "../../shared/domain/artifacts";
import { createS3Client } from "../../shared/s3-client";
import { buildRegistryDeps, storeModules } from "../../shared/composition";
import { Listings } from "../../shared/store/listings";
import { modelKey } from "../../shared/store/entities/model";
import { registerVersionBody } from "../../shared/schemas/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { updateModel } from "../../shared/use-cases/update-model";
import { getModel } from "../../shared/use-cases/get-model";
import { getVersion } from "../../shared/use-cases/get-version";
import { listModels } from "../../shared/use-cases/list-models";

/** The model item stores its newest READY version (what `latest` resolves to), kept where it changes. */
const ci = roleCaller("training-ci", "req-1");
const registry = useTestRegistry();

const registerSourced = (name: string) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://models/model.tar.gz" }), ci);

/** A registration whose bytes are uploaded; with `other bytes` they are stored without the URL (which would refuse them), so they fail verification. */
async function registerUploaded(name: string, upload: "declared bytes" | "other bytes" = "declared bytes") {
  const declared = randomBytes(1024);
  const registered = await registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: declared.length, sha256: sha256(declared) } }),
    ci,
  );
  if (upload === "declared bytes") await putBytes(singlePut(registered.upload), declared);
  else
    await createS3Client(registry.config).send(
      new PutObjectCommand({ Bucket: registry.config.bucketName, Key: artifactObjectKey(sha256(declared)), Body: randomBytes(1024) }),
    );
  return registered;
}

const settle = (name: string, version: number) => completeAndVerify(registry.deps, name, { number: version }, ci);

async function archiveAndDelete(name: string, version: number) {
  await transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "retired", archiveExisting: false }, ci);
  await deleteVersion(registry.deps, name, { number: version }, ci);
}

const storedLatestReady = async (name: string) => (await registry.deps.store.getModel(name))?.latestReadyVersion;

/** What `latest` names, computed from the versions as before it was stored: the newest READY one (0: none). */
async function computedLatestReady(name: string): Promise<number> {
  const filters = { status: "READY", minMetrics: {}, maxMetrics: {}, tags: {} };
  return (await registry.deps.store.listVersions(name, filters, { limit: 1 })).items[0]?.version ?? 0;
}

async function expectStoredAsComputed(name: string, expected: number) {
  expect(await computedLatestReady(name)).toBe(expected);
  expect(await storedLatestReady(name)).toBe(expected);
  expect((await getModel(registry.deps, name)).latestVersion).toBe(expected || null);
  const resolved = getVersion(registry.deps, name, { latest: true });
  if (expected > 0) expect((await resolved).version).toBe(expected);
  else await expect(resolved).rejects.toMatchObject({ code: "VersionNotFound" });
}

describe("the model's stored newest READY version", () => {
  it("follows registrations READY at once, settlements, failures and pending uploads", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSourced(name);
    await expectStoredAsComputed(name, 1);

    const pending = await registerUploaded(name);
    await expectStoredAsComputed(name, 1);
    await settle(name, pending.version);
    await expectStoredAsComputed(name, 2);

    const failed = await registerUploaded(name, "other bytes");
    expect((await settle(name, failed.version)).status).toBe("FAILED");
    await expectStoredAsComputed(name, 2);
  });

  it("falls back to the next newest READY version when the newest is deleted, and to none when the last goes", async () => {
    const name = uniqueModelName("fraud_detector");
    for (let i = 0; i < 3; i++) await registerSourced(name);
    const pending = await registerUploaded(name);
    await expectStoredAsComputed(name, 3);

    await archiveAndDelete(name, 2);
    await expectStoredAsComputed(name, 3);
    await archiveAndDelete(name, 3);
    await expectStoredAsComputed(name, 1);
    await deleteVersion(registry.deps, name, { number: pending.version }, ci);
    await expectStoredAsComputed(name, 1);
    await archiveAndDelete(name, 1);
    await expectStoredAsComputed(name, 0);
  });

  it("is read from the versions for a model stored without it, which gets it on its next change", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSourced(name);
    await registerSourced(name);
    await registerUploaded(name);
    const documents = DynamoDBDocumentClient.from(createDynamoDbClient(registry.config));
    await documents.send(
      new UpdateCommand({ TableName: registry.config.tableName, Key: modelKey(name), UpdateExpression: "REMOVE latestReadyVersion" }),
    );
    expect(await storedLatestReady(name)).toBeUndefined();
    expect((await getModel(registry.deps, name)).latestVersion).toBe(2);

    await updateModel(registry.deps, name, { description: "scores card payments" }, ci);
    await expectStoredAsComputed(name, 2);
  });

  it("equals the computed one after concurrent registrations, settlements and deletions of the newest READY version, over many rounds", async () => {
    const name = uniqueModelName("fraud_detector");
    for (let round = 0; round < 8; round++) {
      const pending = await Promise.all([registerUploaded(name), registerUploaded(name)]);
      const newest = await registerSourced(name);
      await transitionVersion(
        registry.deps,
        name,
        { number: newest.version },
        { to: "Archived", reason: "retired", archiveExisting: false },
        ci,
      );
      // Every other round, a registration READY at once outnumbers them all.
      await Promise.all([
        deleteVersion(registry.deps, name, { number: newest.version }, ci),
        ...pending.map((p) => settle(name, p.version)),
        round % 2 === 0 ? registerUploaded(name) : registerSourced(name),
      ]);
      expect(await storedLatestReady(name)).toBe(await computedLatestReady(name));
    }
    await expectStoredAsComputed(name, await computedLatestReady(name));
  }, 120_000);
});

describe("listing models", () => {
  it("reads one page of models with one Query, and no Query per model", async () => {
    const prefix = uniqueModelName("listing");
    for (const suffix of ["a", "b", "c", "d", "e"]) await registerSourced(`${prefix}_${suffix}`);
    const sent: string[] = [];
    const dynamodb = createDynamoDbClient(registry.config);
    dynamodb.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "countCommands" },
    );

    const page = await listModels(
      { ...buildRegistryDeps(registry.config, dynamodb), ...storeModules(registry.config, dynamodb, { listings: Listings }) },
      {
        prefix,
        limit: 100,
      },
    );

    expect(page.items.map((model) => model.latestVersion)).toEqual([1, 1, 1, 1, 1]);
    expect(sent).toEqual(["QueryCommand"]);
    dynamodb.destroy();
  });
});

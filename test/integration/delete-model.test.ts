import { beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext, putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { completeAndVerify } from "../support/verification";
import { GiB, MiB, artifactObjectKey } from "../../shared/domain/artifacts";
import { DomainError } from "../../shared/domain/errors";
import { HTTP_STATUS_BY_CODE } from "../../shared/http/error-mapper";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";
import type { RegistryStore } from "../../shared/store/registry-store";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { deleteModel } from "../../shared/use-cases/delete-model";
import { getModel } from "../../shared/use-cases/get-model";
import { listDatasetUsage } from "../../shared/use-cases/list-dataset-usage";
import { listHistory } from "../../shared/use-cases/list-history";
import { listModels } from "../../shared/use-cases/list-models";
import { listRunVersions } from "../../shared/use-cases/list-run-versions";
import { listStageVersions } from "../../shared/use-cases/list-stage-versions";
import { registerVersion } from "../../shared/use-cases/register-version";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { setAlias } from "../../shared/use-cases/set-alias";
import { stagesAt } from "../../shared/use-cases/stages-at";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { updateModel } from "../../shared/use-cases/update-model";
import { updateVersion } from "../../shared/use-cases/update-version";

const ADMIN = "arn:aws:iam::123456789012:role/registry-admin";
const CI = "arn:aws:iam::123456789012:role/training-ci";
const admin = roleCaller("registry-admin", "req-admin");
const ci = roleCaller("training-ci", "req-ci", ["reader", "publisher", "promoter"]);

const registry = useTestRegistry({
  uploads: { urlExpirySeconds: 900, maxArtifactBytes: GiB },
  roleBindings: [
    { pattern: ADMIN, roles: ["reader", "publisher", "promoter", "admin"] },
    { pattern: CI, roles: ["reader", "publisher", "promoter"] },
  ],
});
let artifacts: ApiHandler;
beforeAll(async () => {
  ({ artifacts } = await loadHandlers(registry, "artifacts"));
});

const registerSource = (name: string, extra: Record<string, unknown> = {}) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://training/run/model.tar.gz", ...extra }), ci);

const registerBytes = (name: string, bytes: Buffer) =>
  registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes) } }),
    ci,
  );

async function uploadBytes(name: string, bytes: Buffer) {
  const registered = await registerBytes(name, bytes);
  if (registered.upload) await putBytes(singlePut(registered.upload), bytes);
  return completeAndVerify(registry.deps, name, { number: registered.version }, ci);
}

const move = (name: string, version: number, to: string) =>
  transitionVersion(registry.deps, name, { number: version }, transitionBody.parse({ to, reason: "test" }), admin);

const partition = async (name: string) => (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
/** What a deletion leaves of a model: its tombstone, history, checkpoints and turn tickets. */
const leftovers = async (name: string) =>
  (await partition(name)).filter((item) => !["model", "history", "checkpoint", "turnTickets"].includes(String(item.entity)));
const historyActions = async (name: string) =>
  (await partition(name)).filter((item) => item.entity === "history").map((item) => item.action);
const objectExists = async (bytes: Buffer) => (await registry.deps.artifacts.head(artifactObjectKey(sha256(bytes)))) !== undefined;
const refOf = async (bytes: Buffer) => (await registry.items()).find((item) => item.pk === `ARTIFACT#${sha256(bytes)}`);

describe("deleting a model (admin)", () => {
  it("is refused with 409 VersionInUse while a version is in Production, changing nothing; succeeds once it is archived", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSource(name, { semver: "1.0.0", lineage: { datasets: [{ id: "fraud_training" }] } });
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await setAlias(registry.deps, name, "champion", { version: 1 }, ci);
    const before = await registry.state();

    await expect(deleteModel(registry.deps, name, admin)).rejects.toMatchObject({
      code: "VersionInUse",
      details: { stages: { Production: 1 } },
    });
    expect(await registry.state()).toEqual(before);

    await move(name, 1, "Archived");
    const deleted = await deleteModel(registry.deps, name, admin);

    expect(deleted).toEqual({ model: name, deleted: true, versionsDeleted: 1, artifactObjectsDeleted: 0 });
    expect(await leftovers(name)).toEqual([]);
    expect((await historyActions(name)).at(-1)).toBe("MODEL_DELETED");
    await expect(getModel(registry.deps, name)).rejects.toMatchObject({ code: "ModelNotFound" });
    expect((await listModels(registry.deps, { prefix: name, limit: 10 })).items).toEqual([]);
    expect((await registry.items()).filter((item) => item.gsi1pk === "DATASET#fraud_training" && item.model === name)).toEqual([]);
  });

  it("is refused with 409 VersionInUse while a version is protected, changing nothing; succeeds once its protection is lifted", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSource(name);
    await registerSource(name);
    await updateVersion(registry.deps, name, { number: 1 }, { protected: true }, admin);
    const before = await registry.state();

    await expect(deleteModel(registry.deps, name, admin)).rejects.toMatchObject({ code: "VersionInUse", details: { protected: true } });
    expect(await registry.state()).toEqual(before);

    await updateVersion(registry.deps, name, { number: 1 }, { protected: false }, admin);
    expect(await deleteModel(registry.deps, name, admin)).toMatchObject({ deleted: true, versionsDeleted: 2 });
  });

  it("lets the name be registered again from version 1, numbering history on after the deletion", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSource(name, { semver: "1.0.0" });
    await registerSource(name, { semver: "1.1.0" });
    await deleteModel(registry.deps, name, admin);

    const again = await registerSource(name, { semver: "1.0.0" });
    const history = await listHistory(registry.deps, name, { limit: 20 });

    expect(again).toMatchObject({ version: 1, semver: "1.0.0", status: "READY" });
    expect(await getModel(registry.deps, name)).toMatchObject({ latestVersion: 1, latestRegisteredVersion: 1 });
    // The turn queue counts on from the deleted model's: the last ticket handed out is the last turn served.
    const items = await partition(name);
    const served = items.find((item) => item.entity === "model")?.served;
    expect(served).toBeGreaterThan(1);
    expect(items.find((item) => item.entity === "turnTickets")?.issued).toBe(served);
    expect(history.items.map((entry) => [entry.sequence, entry.action])).toEqual([
      [6, "VERSION_REGISTERED"],
      [5, "MODEL_CREATED"],
      [4, "MODEL_DELETED"],
      [3, "VERSION_REGISTERED"],
      [2, "VERSION_REGISTERED"],
      [1, "MODEL_CREATED"],
    ]);
  });

  it("never rolls the name's next model back to a version of the deleted one", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSource(name);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await move(name, 1, "Archived");
    await deleteModel(registry.deps, name, admin);
    await registerSource(name);
    await move(name, 1, "Archived");

    await expect(rollbackProduction(registry.deps, name, { reason: "incident" }, admin)).rejects.toMatchObject({
      code: "NothingToRollBack",
    });
  });

  it("still answers what was in Production at a time before the deletion, and nothing after it", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSource(name);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    const promotedAt = (await listHistory(registry.deps, name, { limit: 1 })).items[0]?.occurredAt as string;
    await setAlias(registry.deps, name, "champion", { version: 1 }, ci);
    await move(name, 1, "Archived");
    await deleteModel(registry.deps, name, admin);
    const deletedAt = (await listHistory(registry.deps, name, { limit: 1 })).items[0]?.occurredAt as string;

    expect(await stagesAt(registry.deps, name, promotedAt)).toEqual({
      time: promotedAt,
      stages: { Production: 1, Staging: [] },
      aliases: {},
    });
    expect(await stagesAt(registry.deps, name, deletedAt)).toEqual({ time: deletedAt, stages: { Staging: [] }, aliases: {} });
    await expect(stagesAt(registry.deps, name, "2001-01-01T00:00:00.000Z")).rejects.toMatchObject({ code: "ModelNotFound" });
  });

  it("deletes an artifact object only this model uses, and keeps one another model shares", async () => {
    const [name, other] = [uniqueModelName("fraud_detector"), uniqueModelName("churn_scorer")];
    const [shared, own] = [randomBytes(16 * 1024), randomBytes(16 * 1024)];
    await uploadBytes(name, shared);
    await uploadBytes(name, own);
    await registerBytes(name, shared);
    await registerBytes(other, shared);

    const deleted = await deleteModel(registry.deps, name, admin);

    expect(deleted).toMatchObject({ versionsDeleted: 3, artifactObjectsDeleted: 1 });
    expect(await objectExists(shared)).toBe(true);
    expect(await refOf(shared)).toMatchObject({ refCount: 1 });
    expect(await objectExists(own)).toBe(false);
    expect(await refOf(own)).toBeUndefined();
    expect(await getModel(registry.deps, other)).toMatchObject({ latestVersion: 1 });
  });

  it("aborts the open multipart upload of a version it deletes: its part URLs stop working", async () => {
    const name = uniqueModelName("fraud_detector");
    const part = randomBytes(4096);
    const registered = await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({
        artifact: {
          filename: "model.bin",
          sizeBytes: 65 * MiB,
          sha256: sha256(randomBytes(1024)),
          partSizeBytes: 32 * MiB,
          parts: [{ partNumber: 1, sha256: sha256(part) }],
        },
      }),
      ci,
    );
    const upload = registered.upload;
    if (upload?.method !== "MULTIPART") throw new Error("expected a multipart upload");
    const [url] = upload.parts;
    if (!url) throw new Error("expected part 1's URL");
    expect((await fetch(url.url, { method: "PUT", headers: url.headers, body: part })).status).toBe(200);

    await deleteModel(registry.deps, name, admin);

    const afterwards = await fetch(url.url, { method: "PUT", headers: url.headers, body: part });
    expect(afterwards.status).toBe(404);
    expect(await afterwards.text()).toContain("<Code>NoSuchUpload</Code>");
    expect(await leftovers(name)).toEqual([]);
  });

  it("is refused while a version is VERIFYING, changing nothing", async () => {
    const name = uniqueModelName("fraud_detector");
    const bytes = randomBytes(4096);
    const registered = await registerBytes(name, bytes);
    await putBytes(singlePut(registered.upload), bytes);
    await completeUpload(registry.deps, name, { number: 1 }, undefined, ci);
    const before = await registry.state();

    await expect(deleteModel(registry.deps, name, admin)).rejects.toMatchObject({ code: "VersionInUse", details: { status: "VERIFYING" } });
    expect(await registry.state()).toEqual(before);
  });

  it("continues where a deletion that died midway stopped, refusing every other change meanwhile", async () => {
    const name = uniqueModelName("fraud_detector");
    const datasets = ["a", "b", "c"].map((id) => ({ id: `dataset_${id}` }));
    for (let i = 0; i < 60; i++) await registerSource(name, { lineage: { datasets } });
    await setAlias(registry.deps, name, "champion", { version: 7 }, ci);
    const dying = { ...registry.deps, store: storeDyingAfter(registry.deps.store, 2) };

    await expect(deleteModel(dying, name, admin)).rejects.toThrow("function timed out");
    const remaining = (await partition(name)).filter((item) => item.entity === "version").length;

    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(60);
    await expect(getModel(registry.deps, name)).rejects.toMatchObject({
      code: "ModelNotFound",
      message: expect.stringContaining("being deleted"),
    });
    await expect(registerSource(name)).rejects.toMatchObject({ code: "ModelBeingDeleted" });
    await expect(move(name, 60, "Staging")).rejects.toMatchObject({ code: "ModelBeingDeleted" });
    await expect(updateModel(registry.deps, name, { description: "x" }, ci)).rejects.toMatchObject({ code: "ModelBeingDeleted" });

    const finished = await deleteModel(registry.deps, name, admin);

    expect(finished.versionsDeleted).toBe(remaining);
    expect(await leftovers(name)).toEqual([]);
    expect((await historyActions(name)).filter((action) => action === "MODEL_DELETED")).toHaveLength(1);
  }, 120_000);

  it("lists none of its versions across models while a deletion that died midway is unfinished", async () => {
    const [name, other] = [uniqueModelName("fraud_detector"), uniqueModelName("churn_predictor")];
    const dataset = uniqueModelName("dataset");
    const lineage = { datasets: [{ id: dataset }], runId: uniqueModelName("run") };
    for (let i = 0; i < 40; i++) await registerSource(name, { lineage });
    await registerSource(other, { lineage });
    await move(name, 40, "Archived");
    await move(other, 1, "Archived");
    const dying = { ...registry.deps, store: storeDyingAfter(registry.deps.store, 2) };
    const acrossModels = async () => ({
      dataset: (await listDatasetUsage(registry.deps, dataset, { limit: 100 })).items.map((link) => link.model),
      run: (await listRunVersions(registry.deps, lineage.runId, { limit: 100 })).items.map((version) => version.model),
      archived: (await listStageVersions(registry.deps, "Archived", { limit: 100 })).items
        .map((version) => version.model)
        .filter((model) => model === name || model === other),
    });

    await expect(deleteModel(dying, name, admin)).rejects.toThrow("function timed out");

    expect((await partition(name)).filter((item) => item.entity === "version").length).toBeGreaterThan(0);
    expect(await acrossModels()).toEqual({ dataset: [other], run: [other], archived: [other] });
  });
});

/** The store of a function that dies (times out) once `commits` changes have committed. */
function storeDyingAfter(store: RegistryStore, commits: number): RegistryStore {
  let committed = 0;
  const dying = Object.create(store) as RegistryStore;
  dying.change = async <T>(...args: Parameters<typeof store.change<T>>): Promise<T> => {
    if (committed >= commits) throw new Error("function timed out");
    const answer = await store.change<T>(...args);
    committed++;
    return answer;
  };
  return dying;
}

describe("DELETE /models/{name}", () => {
  const call = async (name: string, actor: string) =>
    (await artifacts(
      apiEvent({ routeKey: "DELETE /models/{name}", pathParameters: { name }, actor }),
      lambdaContext,
    )) as APIGatewayProxyStructuredResultV2;

  it("answers 200 with what went, to an admin", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSource(name);

    const response = await call(name, ADMIN);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body as string)).toEqual({ model: name, deleted: true, versionsDeleted: 1, artifactObjectsDeleted: 0 });
  });

  it.each([
    ["a caller without the admin role", "fraud_detector_known", CI, 403, "Forbidden"],
    ["a name no model can have", "Fraud Detector!", ADMIN, 400, "ValidationError"],
    ["a name too long for the table", "m".repeat(3000), ADMIN, 400, "ValidationError"],
    ["a model that does not exist", "fraud_detector_unknown", ADMIN, 404, "ModelNotFound"],
  ])("refuses %s with a 4xx, changing nothing", async (_, name, actor, status, code) => {
    await registerSource("fraud_detector_known");
    const before = await registry.state();

    const response = await call(name, actor);

    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body as string).error.code).toBe(code);
    expect(await registry.state()).toEqual(before);
  });
});

/** Every refusal a racing request may meet is a domain error with a 4xx status: never a 500. */
async function settled<T>(work: Promise<T>): Promise<T | string> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const status = (HTTP_STATUS_BY_CODE as Record<string, number>)[error.code];
    expect(status, error.message).toBeGreaterThanOrEqual(400);
    expect(status, error.message).toBeLessThan(500);
    return error.code;
  }
}

describe("a deletion racing registrations and promotions", () => {
  it("leaves, round after round, either the model with every version whole or its tombstone alone: no orphan item", async () => {
    for (let round = 0; round < 24; round++) {
      const name = uniqueModelName("fraud_detector");
      await registerSource(name, { semver: "1.0.0", lineage: { datasets: [{ id: "fraud_training" }] } });

      const [deleted, registered, promoted] = await Promise.all([
        settled(deleteModel(registry.deps, name, admin)),
        settled(registerSource(name, { lineage: { datasets: [{ id: "fraud_training" }] } })),
        settled(move(name, 1, "Staging")),
      ]);

      await assertNoOrphans(name);
      // Both answered: the promotion came after the deletion, to the name's next model, or it would have refused the deletion.
      if (typeof deleted !== "string" && typeof promoted !== "string")
        expect((await registry.deps.store.getModel(name))?.stages.Staging, "a promotion of a deleted model").toEqual([1]);
      expect(typeof registered === "string" ? registered : "ok").toMatch(/^(ok|ModelBeingDeleted)$/);
    }
  }, 120_000);
});

/**
 * A deleted model leaves its tombstone, history and checkpoints only. A live one (the delete refused,
 * or the name registered again after it) holds versions 1..latestVersion, each with its label and
 * dataset links, and nothing that names another version.
 */
async function assertNoOrphans(name: string): Promise<void> {
  const items = await partition(name);
  const model = items.find((item) => item.entity === "model") as { latestVersion: number; deletion?: { finishedAt?: string } };
  expect(model.deletion === undefined || model.deletion.finishedAt !== undefined, "no deletion left half done").toBe(true);
  if (model.deletion) {
    expect(await leftovers(name)).toEqual([]);
    return;
  }
  const versions = items.filter((item) => item.entity === "version").map((item) => item.version);
  const expected = Array.from({ length: model.latestVersion }, (_, i) => i + 1);
  expect(versions).toEqual(expected);
  for (const item of items.filter((item) => ["semverLabel", "datasetLink"].includes(String(item.entity))))
    expect(expected).toContain(item.version);
  expect(items.filter((item) => item.entity === "datasetLink")).toHaveLength(expected.length);
}

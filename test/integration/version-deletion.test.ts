import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { apiEvent, lambdaContext, putBytes, roleCaller, sha256, singlePut } from "../support/fixtures";
import { loadHandlers, storeFailingAfter, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { completeAndVerify, runQueued } from "../support/verification";
import { registerVersionBody } from "../../shared/schemas/version";
import { updateModelBody } from "../../shared/schemas/model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { updateModel } from "../../shared/use-cases/update-model";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { recordApproval } from "../../shared/use-cases/record-approval";
import { recordApprovalBody } from "../../shared/schemas/approval";
import { MAX_FILES_PER_COMMIT } from "../../shared/store/entities/manifest";
import { completeUpload } from "../../shared/use-cases/complete-upload";
import { getVersion } from "../../shared/use-cases/get-version";
import { updateVersion } from "../../shared/use-cases/update-version";
import { ValidationError, VersionInUseError } from "../../shared/domain/errors";

const ci = roleCaller("training-ci", "req-being-deleted");
const registry = useTestRegistry();
let query: ApiHandler;

beforeAll(async () => {
  ({ query } = await loadHandlers(registry, "query"));
});

const dataset = uniqueModelName("transactions");
const runId = uniqueModelName("run");
const lineage = { datasets: [{ id: dataset, version: "v1" }], runId };

/** A READY version with its bytes elsewhere (`source`): it is there at once. */
const registerSourced = (name: string, auc: number) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://training/model.tar.gz", metrics: { auc }, lineage }), ci);

/** A READY version whose manifest is too large for one commit (written, and deleted, in chunks); its files share one object. */
async function registerChunked(name: string, auc: number) {
  const bytes = randomBytes(64);
  const files = Array.from({ length: MAX_FILES_PER_COMMIT + 1 }, (_, i) => ({
    path: `shards/part-${i}.bin`,
    sizeBytes: 64,
    sha256: sha256(bytes),
  }));
  const registered = await registerVersion(registry.deps, name, registerVersionBody.parse({ files, metrics: { auc }, lineage }), ci);
  for (const { upload } of registered.uploads ?? []) if (upload) await putBytes(singlePut(upload), bytes);
  return completeAndVerify(registry.deps, name, { number: registered.version }, ci);
}

/** Every item of the model's partition but the model, its history, checkpoints and turn tickets: an entity and the version it is of. */
const ownedItems = async (name: string) =>
  (await registry.state())
    .filter((item) => item.pk === `MODEL#${name}` && !["model", "history", "checkpoint"].includes(String(item.entity)))
    .map(({ entity, version }) => ({ entity, version }));

const archive = (name: string, version: number) =>
  transitionVersion(registry.deps, name, { number: version }, { to: "Archived", reason: "superseded", archiveExisting: false }, ci);

async function get(routeKey: string, pathParameters: Record<string, string>, queryStringParameters?: Record<string, string>) {
  const response = await query(apiEvent({ routeKey, pathParameters, queryStringParameters }), lambdaContext);
  return { status: response.statusCode, body: JSON.parse(response.body ?? "{}") };
}

const numbers = (items: { model: string; version: number | string }[], name: string) =>
  items.filter((item) => item.model === name || (item as { name?: string }).name === name).map((item) => Number(item.version));

/** What every read of the model answers about its versions, through the API: each listing's version numbers, each single answer's. */
async function whatReadsAnswer(name: string) {
  const versions = (queryString: Record<string, string> = {}) => get("GET /models/{name}/versions", { name }, queryString);
  const mlflowSearch = await get("GET /api/2.0/mlflow/model-versions/search", {}, { filter: `name = '${name}'` });
  const mlflowLatest = await get("GET /api/2.0/mlflow/registered-models/get-latest-versions", {}, { name });
  return {
    listed: numbers((await versions()).body.items, name),
    sorted: numbers((await versions({ sort: "-metric.auc" })).body.items, name),
    bounded: numbers((await versions({ "minMetric.auc": "0.1" })).body.items, name),
    ready: numbers((await versions({ status: "READY" })).body.items, name),
    archived: numbers((await get("GET /stages/{stage}/versions", { stage: "Archived" }, { limit: "100" })).body.items, name),
    newestArchived: (await get("GET /models/{name}/stages/{stage}", { name, stage: "Archived" })).body.version,
    latest: (await get("GET /models/{name}/versions/{v}", { name, v: "latest" })).body.version,
    resolvedLatest: (await get("GET /resolve", {}, { uri: `models:/${name}/latest` })).body.version,
    modelLatest: (await get("GET /models/{name}", { name })).body.latestVersion,
    trainedOnDataset: numbers((await get("GET /lineage/datasets/{id+}", { id: dataset })).body.items, name),
    compared: (await get("GET /models/{name}/compare", { name }, { versions: "1,2" })).status,
    mlflowSearched: numbers(
      mlflowSearch.body.model_versions.map((v: { name: string; version: string }) => ({ model: v.name, version: v.version })),
      name,
    ),
    mlflowLatest: mlflowLatest.body.model_versions.map((v: { version: string }) => Number(v.version)),
  };
}

describe("a version whose deletion stopped after marking it (a manifest taken apart chunk by chunk)", () => {
  it("is answered by no read, as GET …/versions/2 answers 404, until its deletion is continued and finishes", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSourced(name, 0.5);
    await updateModel(registry.deps, name, updateModelBody.parse({ keyMetrics: [{ name: "auc", direction: "max" }] }), ci);
    expect(await registerChunked(name, 0.9)).toMatchObject({ version: 2, status: "READY" });
    await recordApproval(registry.deps, name, { number: 2 }, recordApprovalBody.parse({ stage: "Production", decision: "approve" }), ci);
    for (const version of [1, 2]) await archive(name, version);
    expect(await whatReadsAnswer(name)).toMatchObject({
      listed: [2, 1],
      sorted: [2, 1],
      latest: 2,
      trainedOnDataset: [1, 2],
      compared: 200,
    });

    await expect(deleteVersion(storeFailingAfter(registry, 1), name, { number: 2 }, ci)).rejects.toThrow("injected");

    expect((await get("GET /models/{name}/versions/{v}", { name, v: "2" })).status).toBe(404);
    const expected = {
      listed: [1],
      sorted: [1],
      bounded: [1],
      ready: [1],
      archived: [1],
      newestArchived: 1,
      latest: 1,
      resolvedLatest: 1,
      modelLatest: 1,
      trainedOnDataset: [1],
      compared: 404,
      mlflowSearched: [1],
      mlflowLatest: [1],
    };
    expect(await whatReadsAnswer(name)).toEqual(expected);
    await deleteVersion(registry.deps, name, { number: 2 }, ci);
    expect(await whatReadsAnswer(name)).toEqual(expected);
    expect(await ownedItems(name)).toEqual(["datasetLink", "metricIndex", "runLink", "version"].map((entity) => ({ entity, version: 1 })));
  });
});

describe("a deleted version", () => {
  it("leaves no item it owned: its files' verifications and approvals go too, shed first when one commit cannot hold them", async () => {
    const name = uniqueModelName("fraud_detector");
    const contents = Array.from({ length: MAX_FILES_PER_COMMIT }, () => randomBytes(64));
    const files = contents.map((bytes, i) => ({ path: `shards/part-${i}.bin`, sizeBytes: 64, sha256: sha256(bytes) }));
    const registered = await registerVersion(registry.deps, name, registerVersionBody.parse({ files, lineage }), ci);
    await Promise.all((registered.uploads ?? []).map(({ upload }, i) => putBytes(singlePut(upload), contents[i] as Buffer)));
    expect(await completeAndVerify(registry.deps, name, { number: 1 }, ci)).toMatchObject({ status: "READY" });
    await recordApproval(registry.deps, name, { number: 1 }, recordApprovalBody.parse({ stage: "Production", decision: "approve" }), ci);
    await archive(name, 1);
    const entities = new Set((await ownedItems(name)).map((item) => item.entity));
    expect([...entities].sort()).toEqual(["approval", "datasetLink", "fileVerification", "runLink", "version"]);

    await deleteVersion(registry.deps, name, { number: 1 }, ci);

    expect(await ownedItems(name)).toEqual([]);
  }, 120_000);
});

describe("a version being verified", () => {
  /** A version of `files` files whose bytes are uploaded and completed: VERIFYING, its tasks waiting on the queue. */
  async function registerVerifying(name: string, files: number) {
    const bytes = randomBytes(64);
    const declared = Array.from({ length: files }, (_, i) => ({ path: `shards/part-${i}.bin`, sizeBytes: 64, sha256: sha256(bytes) }));
    const registered = await registerVersion(registry.deps, name, registerVersionBody.parse({ files: declared }), ci);
    for (const { upload } of registered.uploads ?? []) if (upload) await putBytes(singlePut(upload), bytes);
    expect(await completeUpload(registry.deps, name, { number: registered.version }, undefined, ci)).toMatchObject({ status: "VERIFYING" });
    return registered.version;
  }

  it.each([
    ["in one commit", 2],
    ["in chunks", MAX_FILES_PER_COMMIT + 1],
  ])(
    "is not deleted (%s): 409 VersionInUse until its verification ends, as its model's deletion is refused, changing nothing",
    async (_, files) => {
      const name = uniqueModelName("fraud_detector");
      const version = await registerVerifying(name, files);
      const before = await registry.state();

      await expect(deleteVersion(registry.deps, name, { number: version }, ci)).rejects.toThrow(VersionInUseError);

      expect(await registry.state()).toEqual(before);
      await runQueued(registry.deps);
      expect(await getVersion(registry.deps, name, { number: version })).toMatchObject({ status: "READY" });
    },
  );
});

describe("a protected version", () => {
  it("is not deleted: 409 VersionInUse naming how to lift its protection, changing nothing, until an admin lifts it", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSourced(name, 0.9);
    await archive(name, 1);
    await updateVersion(registry.deps, name, { number: 1 }, { protected: true }, ci);
    const before = await registry.state();

    const refused = deleteVersion(registry.deps, name, { number: 1 }, ci);

    await expect(refused).rejects.toThrow(VersionInUseError);
    await expect(refused).rejects.toThrow(`{"protected": false}`);
    expect(await registry.state()).toEqual(before);
    await updateVersion(registry.deps, name, { number: 1 }, { protected: false }, ci);
    await expect(deleteVersion(registry.deps, name, { number: 1 }, ci)).resolves.toMatchObject({ version: 1, deleted: true });
  });
});

describe("a version deleted since", () => {
  it("cannot be named a parent: registering with it in lineage.parentVersions is 400 naming it, changing nothing", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSourced(name, 0.9);
    await registerSourced(name, 0.91);
    await archive(name, 1);
    await deleteVersion(registry.deps, name, { number: 1 }, ci);
    const before = await registry.state();

    const child = registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({ source: "s3://training/child.tar.gz", lineage: { parentVersions: [2, 1] } }),
      ci,
    );

    await expect(child).rejects.toThrow(ValidationError);
    await expect(child).rejects.toThrow("lineage.parentVersions names versions that were deleted: 1.");
    expect(await registry.state()).toEqual(before);
  });

  it("takes a parent named twice", async () => {
    const name = uniqueModelName("fraud_detector");
    await registerSourced(name, 0.9);

    const child = await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({ source: "s3://training/child.tar.gz", lineage: { parentVersions: [1, 1] } }),
      ci,
    );

    expect(child).toMatchObject({ version: 2 });
  });
});

import { describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useLocalRegistry } from "../support/local-registry";
import { mlflowClient } from "../support/mlflow-client";

/**
 * Golden request/response tests of the MLflow-compatible API, written from MLflow's contract
 * (`model_registry.proto`, `rest_store.py`, `rest_utils.py`): each of the 22 endpoints over HTTP
 * against `npm start`, called as MLflow's client calls it, and every error code it answers with.
 */

const TOKENS = {
  tokens: {
    "ci-token": { principal: "local:ci", roles: ["reader", "publisher", "promoter"] },
    "admin-token": { principal: "local:release-admin", roles: ["reader", "publisher", "promoter", "admin"] },
    "viewer-token": { principal: "local:viewer", roles: ["reader"] },
  },
};

const registry = useLocalRegistry("registry-mlflow-", async (dataDir) => {
  const tokensFile = join(dataDir, "tokens.json");
  await writeFile(tokensFile, JSON.stringify(TOKENS));
  return { tokensFile };
});
const url = () => registry.url;
const ci = mlflowClient(url, "ci-token");
const admin = mlflowClient(url, "admin-token");
const viewer = mlflowClient(url, "viewer-token");
const anonymous = mlflowClient(url);

const millis = expect.any(Number);
const refused = (error_code: string, message: unknown = expect.any(String)) => ({ error_code, message });

let counter = 0;
/** A product-style name per test (digits would look like a version). */
const freshName = (base: string) => `${base}_${"abcdefghij"[counter++ % 10]}${Date.now().toString(36).replace(/\d/g, "")}`;

async function modelWithVersion(name: string) {
  expect((await ci("POST", "registered-models/create", { name })).status).toBe(200);
  const created = await ci("POST", "model-versions/create", { name, source: "runs:/abc123/model", run_id: "abc123" });
  expect(created.status).toBe(200);
  return created.body.model_version;
}

const versionOf = (name: string, version: string, fields: Record<string, unknown> = {}) => ({
  name,
  version,
  creation_timestamp: millis,
  last_updated_timestamp: millis,
  user_id: "local:ci",
  current_stage: "None",
  source: "runs:/abc123/model",
  run_id: "abc123",
  status: "READY",
  tags: [{ key: "registry.uri", value: `models:/${name}/${version}` }],
  aliases: [],
  ...fields,
});

const modelOf = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  creation_timestamp: millis,
  last_updated_timestamp: millis,
  user_id: "local:ci",
  latest_versions: [],
  tags: [],
  aliases: [],
  ...fields,
});

describe("the MLflow-compatible API: registered models", () => {
  it("POST registered-models/create answers the registered model: tags as [{key, value}], timestamps in ms, the caller as user_id", async () => {
    const name = freshName("fraud_detector");
    const before = Date.now();

    const created = await ci("POST", "registered-models/create", {
      name,
      description: "Card fraud scoring",
      tags: [{ key: "team", value: "risk" }],
      an_unknown_field: "ignored, as protobuf's JSON parsing ignores it",
    });

    expect(created).toEqual({
      status: 200,
      body: { registered_model: modelOf(name, { description: "Card fraud scoring", tags: [{ key: "team", value: "risk" }] }) },
    });
    expect(created.body.registered_model.creation_timestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(created.body.registered_model.creation_timestamp).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await ci("POST", "registered-models/create", { name })).toEqual({ status: 400, body: refused("RESOURCE_ALREADY_EXISTS") });
  });

  it("POST registered-models/create applies the naming policy: a versioned name is INVALID_PARAMETER_VALUE with the suggestion", async () => {
    const answer = await ci("POST", "registered-models/create", { name: "fraud_detector_v2" });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(refused("INVALID_PARAMETER_VALUE", expect.stringContaining("register a new version of fraud_detector")));
  });

  it("GET registered-models/get answers the model with latest_versions, one per stage; an unknown model is RESOURCE_DOES_NOT_EXIST", async () => {
    const name = freshName("churn_predictor");
    await modelWithVersion(name);

    expect(await ci("GET", "registered-models/get", { name })).toEqual({
      status: 200,
      body: { registered_model: modelOf(name, { latest_versions: [versionOf(name, "1")] }) },
    });
    expect(await ci("GET", "registered-models/get", { name: `${name}_missing` })).toEqual({
      status: 404,
      body: refused("RESOURCE_DOES_NOT_EXIST", expect.stringContaining(`${name}_missing`)),
    });
  });

  it("PATCH registered-models/update changes the description; set-tag and delete-tag (DELETE with a JSON body) answer {}", async () => {
    const name = freshName("demand_forecaster");
    await ci("POST", "registered-models/create", { name, tags: [{ key: "team", value: "supply" }] });

    const updated = await ci("PATCH", "registered-models/update", { name, description: "Weekly demand" });
    expect(updated.status).toBe(200);
    expect(updated.body.registered_model).toMatchObject({ name, description: "Weekly demand" });

    expect(await ci("POST", "registered-models/set-tag", { name, key: "owner", value: "@meera" })).toEqual({ status: 200, body: {} });
    expect(await ci("DELETE", "registered-models/delete-tag", { name, key: "team" })).toEqual({ status: 200, body: {} });
    expect((await ci("GET", "registered-models/get", { name })).body.registered_model.tags).toEqual([{ key: "owner", value: "@meera" }]);
  });

  it("GET registered-models/search serves name = and name LIKE 'prefix%' from the name index, pages with page_token, refuses the rest", async () => {
    const prefix = freshName("search_ranker");
    for (const suffix of ["alpha", "beta", "gamma"]) await ci("POST", "registered-models/create", { name: `${prefix}_${suffix}` });

    const first = await ci("GET", "registered-models/search", { filter: `name LIKE '${prefix}%'`, max_results: 2 });
    expect(first.status).toBe(200);
    expect(first.body.registered_models.map((m: { name: string }) => m.name)).toEqual([`${prefix}_alpha`, `${prefix}_beta`]);
    expect(first.body.next_page_token).toEqual(expect.any(String));
    const second = await ci("GET", "registered-models/search", {
      filter: `name LIKE '${prefix}%'`,
      max_results: 2,
      page_token: first.body.next_page_token,
    });
    expect(second.body).toEqual({ registered_models: [expect.objectContaining({ name: `${prefix}_gamma`, latest_versions: [] })] });

    const exact = await ci("GET", "registered-models/search", { filter: `name = '${prefix}_beta'`, order_by: ["name ASC"] });
    expect(exact.body.registered_models.map((m: { name: string }) => m.name)).toEqual([`${prefix}_beta`]);
    const ilike = await ci("GET", "registered-models/search", { filter: `name ILIKE '${prefix.toUpperCase()}_G%'` });
    expect(ilike.body.registered_models.map((m: { name: string }) => m.name)).toEqual([`${prefix}_gamma`]);

    for (const query of [
      { filter: `name LIKE '%${prefix}%'` },
      { filter: "tags.team = 'risk'" },
      { filter: `name = '${prefix}' OR name = 'x'` },
      { order_by: ["last_updated_timestamp DESC"] },
      { page_token: "forged" },
      { max_results: "many" },
    ])
      expect(await ci("GET", "registered-models/search", query), JSON.stringify(query)).toEqual({
        status: 400,
        body: refused("INVALID_PARAMETER_VALUE"),
      });
  });

  it("POST registered-models/rename is refused: names are product contracts", async () => {
    const name = freshName("payments_risk");
    await ci("POST", "registered-models/create", { name });

    expect(await ci("POST", "registered-models/rename", { name, new_name: `${name}_new` })).toEqual({
      status: 400,
      body: refused("INVALID_PARAMETER_VALUE", expect.stringContaining("product contract")),
    });
    expect((await ci("GET", "registered-models/get", { name })).status).toBe(200);
  });

  it("DELETE registered-models/delete deletes the model (admin); one with a version in Staging is INVALID_STATE", async () => {
    const name = freshName("lending_credit");
    await modelWithVersion(name);
    await ci("POST", "model-versions/transition-stage", { name, version: "1", stage: "Staging", archive_existing_versions: false });

    expect(await ci("DELETE", "registered-models/delete", { name })).toMatchObject({ status: 403, body: refused("PERMISSION_DENIED") });
    expect(await admin("DELETE", "registered-models/delete", { name })).toEqual({
      status: 400,
      body: refused("INVALID_STATE", expect.stringContaining("archive it first")),
    });
    await admin("POST", "model-versions/transition-stage", { name, version: "1", stage: "Archived", archive_existing_versions: false });
    expect(await admin("DELETE", "registered-models/delete", { name })).toEqual({ status: 200, body: {} });
    expect(await ci("GET", "registered-models/get", { name })).toEqual({ status: 404, body: refused("RESOURCE_DOES_NOT_EXIST") });
    expect(await admin("DELETE", "registered-models/delete", { name })).toEqual({ status: 404, body: refused("RESOURCE_DOES_NOT_EXIST") });
  });
});

describe("the MLflow-compatible API: model versions", () => {
  it("POST model-versions/create registers a source version READY at once, run_id and run_link kept; version numbers are strings", async () => {
    const name = freshName("fraud_scorer");
    await ci("POST", "registered-models/create", { name });

    const created = await ci("POST", "model-versions/create", {
      name,
      source: "runs:/abc123/model",
      run_id: "abc123",
      run_link: "http://mlflow.example/#/experiments/1/runs/abc123",
      description: "XGBoost baseline",
      tags: [{ key: "algorithm", value: "xgboost" }],
    });

    const expected = versionOf(name, "1", {
      description: "XGBoost baseline",
      run_link: "http://mlflow.example/#/experiments/1/runs/abc123",
      tags: [
        { key: "algorithm", value: "xgboost" },
        { key: "registry.uri", value: `models:/${name}/1` },
      ],
    });
    expect(created).toEqual({ status: 200, body: { model_version: expected } });
    expect(await ci("GET", "model-versions/get", { name, version: "1" })).toEqual({ status: 200, body: { model_version: expected } });
    expect(await ci("POST", "model-versions/create", { name: `${name}_missing`, source: "s3://m" })).toEqual({
      status: 404,
      body: refused("RESOURCE_DOES_NOT_EXIST"),
    });
  });

  it("PATCH model-versions/update, POST model-versions/set-tag and DELETE model-versions/delete-tag change the version", async () => {
    const name = freshName("fraud_ranker");
    await modelWithVersion(name);

    const updated = await ci("PATCH", "model-versions/update", { name, version: "1", description: "Calibrated" });
    expect(updated.body.model_version).toMatchObject({ version: "1", description: "Calibrated" });
    expect(await ci("POST", "model-versions/set-tag", { name, version: "1", key: "reviewed", value: "yes" })).toEqual({
      status: 200,
      body: {},
    });
    expect(await ci("POST", "model-versions/set-tag", { name, version: "1", key: "owner", value: "@meera" })).toEqual({
      status: 200,
      body: {},
    });
    expect(await ci("DELETE", "model-versions/delete-tag", { name, version: "1", key: "reviewed" })).toEqual({ status: 200, body: {} });

    expect((await ci("GET", "model-versions/get", { name, version: "1" })).body.model_version.tags).toEqual([
      { key: "owner", value: "@meera" },
      { key: "registry.uri", value: `models:/${name}/1` },
    ]);
    expect(await ci("POST", "model-versions/set-tag", { name, version: "1", key: "registry.uri", value: "x" })).toEqual({
      status: 400,
      body: refused("INVALID_PARAMETER_VALUE", expect.stringContaining("read-only")),
    });
  });

  it("POST model-versions/transition-stage takes stages in any case; to Production it archives the previous occupant", async () => {
    const name = freshName("fraud_gate");
    await modelWithVersion(name);
    await ci("POST", "model-versions/create", { name, source: "runs:/def456/model", run_id: "def456" });

    const staged = await ci("POST", "model-versions/transition-stage", {
      name,
      version: "1",
      stage: "staging",
      archive_existing_versions: false,
    });
    expect(staged).toEqual({ status: 200, body: { model_version: versionOf(name, "1", { current_stage: "Staging" }) } });
    await ci("POST", "model-versions/transition-stage", { name, version: "1", stage: "PRODUCTION", archive_existing_versions: false });
    await ci("POST", "model-versions/transition-stage", { name, version: "2", stage: "Staging", archive_existing_versions: false });

    const promoted = await ci("POST", "model-versions/transition-stage", {
      name,
      version: "2",
      stage: "Production",
      archive_existing_versions: false,
    });

    expect(promoted.body.model_version).toMatchObject({ version: "2", current_stage: "Production" });
    expect((await ci("GET", "model-versions/get", { name, version: "1" })).body.model_version.current_stage).toBe("Archived");
    expect(
      await ci("POST", "model-versions/transition-stage", { name, version: "2", stage: "None", archive_existing_versions: false }),
    ).toEqual({
      status: 400,
      body: refused("INVALID_STATE", expect.stringContaining("it cannot move to None")),
    });
  });

  it("transition-stage refused by the promotion policy is INVALID_STATE naming every failed rule", async () => {
    const name = freshName("churn_gate");
    await modelWithVersion(name);
    await ci("POST", "model-versions/transition-stage", { name, version: "1", stage: "Staging", archive_existing_versions: false });
    const policy = await fetch(`${registry.url}/models/${name}/policy`, {
      method: "PUT",
      headers: { authorization: "Bearer admin-token" },
      body: JSON.stringify({ Production: { minMetrics: { auc: 0.9 }, requiredTags: ["reviewed"] } }),
    });
    expect(policy.status).toBe(200);

    const answer = await ci("POST", "model-versions/transition-stage", {
      name,
      version: "1",
      stage: "Production",
      archive_existing_versions: true,
    });

    expect(answer.status).toBe(400);
    expect(answer.body.error_code).toBe("INVALID_STATE");
    expect(answer.body.message).toContain("auc");
    expect(answer.body.message).toContain("reviewed");
  });

  it("GET and POST registered-models/get-latest-versions: repeated stages, or every stage with None when none is given", async () => {
    const name = freshName("search_scorer");
    await modelWithVersion(name);
    for (const run of ["r2", "r3"]) await ci("POST", "model-versions/create", { name, source: `runs:/${run}/model`, run_id: run });
    await ci("POST", "model-versions/transition-stage", { name, version: "1", stage: "Staging", archive_existing_versions: false });
    await ci("POST", "model-versions/transition-stage", { name, version: "1", stage: "Production", archive_existing_versions: true });
    await ci("POST", "model-versions/transition-stage", { name, version: "2", stage: "Staging", archive_existing_versions: false });

    const picked = await ci("GET", "registered-models/get-latest-versions", { name, stages: ["Production", "staging"] });
    expect(picked.status).toBe(200);
    expect(picked.body.model_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([
      ["1", "Production"],
      ["2", "Staging"],
    ]);
    const every = await ci("GET", "registered-models/get-latest-versions", { name });
    expect(every.body.model_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([
      ["3", "None"],
      ["2", "Staging"],
      ["1", "Production"],
    ]);
    expect(await ci("POST", "registered-models/get-latest-versions", { name, stages: ["Production"] })).toEqual({
      status: 200,
      body: { model_versions: [picked.body.model_versions[0]] },
    });
    expect(await ci("GET", "registered-models/get-latest-versions", { name, stages: ["Live"] })).toEqual({
      status: 400,
      body: refused("INVALID_PARAMETER_VALUE", expect.stringContaining("Live")),
    });
  });

  it("registered-models/alias: POST sets it, GET answers the version with its aliases, DELETE removes it", async () => {
    const name = freshName("fraud_alias");
    await modelWithVersion(name);

    expect(await ci("POST", "registered-models/alias", { name, alias: "champion", version: "1" })).toEqual({ status: 200, body: {} });
    expect(await ci("GET", "registered-models/alias", { name, alias: "champion" })).toEqual({
      status: 200,
      body: { model_version: versionOf(name, "1", { aliases: ["champion"] }) },
    });
    expect((await ci("GET", "registered-models/get", { name })).body.registered_model.aliases).toEqual([
      { alias: "champion", version: "1" },
    ]);
    expect(await ci("DELETE", "registered-models/alias", { name, alias: "champion" })).toEqual({ status: 200, body: {} });
    expect(await ci("GET", "registered-models/alias", { name, alias: "champion" })).toEqual({
      status: 404,
      body: refused("RESOURCE_DOES_NOT_EXIST"),
    });
  });

  it("GET model-versions/search serves one model's versions newest first, filtered by run_id and tags, paged", async () => {
    const name = freshName("fraud_search");
    await modelWithVersion(name);
    await ci("POST", "model-versions/create", {
      name,
      source: "runs:/def456/model",
      run_id: "def456",
      tags: [{ key: "team", value: "risk" }],
    });
    await ci("POST", "model-versions/create", {
      name,
      source: "runs:/abc123/model",
      run_id: "abc123",
      tags: [{ key: "team", value: "risk" }],
    });

    const byRun = await ci("GET", "model-versions/search", { filter: `name = '${name}' AND run_id = 'abc123'` });
    expect(byRun.body.model_versions.map((v: { version: string }) => v.version)).toEqual(["3", "1"]);
    const byTag = await ci("GET", "model-versions/search", { filter: `name='${name}' and tags.team='risk'`, max_results: 1 });
    expect(byTag.body.model_versions.map((v: { version: string }) => v.version)).toEqual(["3"]);
    const next = await ci("GET", "model-versions/search", {
      filter: `name='${name}' and tags.team='risk'`,
      max_results: 1,
      page_token: byTag.body.next_page_token,
    });
    expect(next.body).toEqual({ model_versions: [expect.objectContaining({ version: "2" })] });
    expect((await ci("GET", "model-versions/search", { filter: "name = 'no_such_model'" })).body).toEqual({ model_versions: [] });

    const oldestFirst = await ci("GET", "model-versions/search", {
      filter: `name = '${name}'`,
      order_by: ["version_number ASC"],
      max_results: 2,
    });
    expect(oldestFirst.body.model_versions.map((v: { version: string }) => v.version)).toEqual(["1", "2"]);
    const rest = await ci("GET", "model-versions/search", {
      filter: `name = '${name}'`,
      order_by: ["version_number ASC"],
      page_token: oldestFirst.body.next_page_token,
    });
    expect(rest.body).toEqual({ model_versions: [expect.objectContaining({ version: "3" })] });
    for (const query of [
      { filter: "tags.team = 'risk'" },
      { filter: `name = '${name}' AND version_number > 1` },
      // A cursor of the newest-first listing does not continue the oldest-first one.
      { filter: `name='${name}' and tags.team='risk'`, order_by: ["version_number ASC"], page_token: byTag.body.next_page_token },
    ])
      expect(await ci("GET", "model-versions/search", query), JSON.stringify(query)).toEqual({
        status: 400,
        body: refused("INVALID_PARAMETER_VALUE"),
      });
    const byUpdate = await ci("GET", "model-versions/search", { filter: `name = '${name}'`, order_by: ["last_updated_timestamp DESC"] });
    expect(byUpdate).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(byUpdate.body.message).toContain("Write order_by=version_number DESC (newest first, the default) or version_number ASC");
  });

  it("GET model-versions/search by run_id alone finds the run's versions of every model, in name then version order, until deleted", async () => {
    const run = freshName("run");
    const [first, second] = [freshName("run_scorer"), freshName("run_ranker")].sort() as [string, string];
    for (const name of [first, second]) await ci("POST", "registered-models/create", { name });
    const register = (name: string, runId: string) =>
      ci("POST", "model-versions/create", { name, source: `runs:/${runId}/model`, run_id: runId });
    await register(second, run);
    await register(first, run);
    await register(first, "another_run");
    await register(first, run);
    await ci("POST", "registered-models/alias", { name: first, alias: "champion", version: "3" });
    const byRun = (extra: Record<string, unknown> = {}) => ci("GET", "model-versions/search", { filter: `run_id = '${run}'`, ...extra });

    const firstPage = await byRun({ max_results: 2, order_by: ["name ASC"] });
    const secondPage = await byRun({ max_results: 2, order_by: ["name ASC"], page_token: firstPage.body.next_page_token });

    const fromRun = { run_id: run, source: `runs:/${run}/model` };
    expect(firstPage.body.model_versions).toEqual([
      versionOf(first, "1", fromRun),
      versionOf(first, "3", { ...fromRun, aliases: ["champion"] }),
    ]);
    expect(secondPage.body).toEqual({ model_versions: [versionOf(second, "1", fromRun)] });
    await admin("POST", "model-versions/transition-stage", {
      name: first,
      version: "1",
      stage: "Archived",
      archive_existing_versions: false,
    });
    await admin("DELETE", "model-versions/delete", { name: first, version: "1" });
    const afterDelete = await byRun();
    expect(afterDelete.body.model_versions.map((v: { name: string; version: string }) => `${v.name} v${v.version}`)).toEqual([
      `${first} v3`,
      `${second} v1`,
    ]);
    expect((await ci("GET", "model-versions/search", { filter: "run_id = 'no_such_run'" })).body).toEqual({ model_versions: [] });
    const byUpdate = await byRun({ order_by: ["last_updated_timestamp DESC"] });
    expect(byUpdate).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(byUpdate.body.message).toContain("Write order_by=name ASC (the default) or name ASC, version_number ASC");
  });

  it("GET model-versions/get-download-uri answers the source of a source version", async () => {
    const name = freshName("fraud_download");
    await modelWithVersion(name);

    expect(await ci("GET", "model-versions/get-download-uri", { name, version: "1" })).toEqual({
      status: 200,
      body: { artifact_uri: "runs:/abc123/model" },
    });
  });

  it("DELETE model-versions/delete deletes an Archived version (admin); one still in use is INVALID_STATE", async () => {
    const name = freshName("fraud_cleanup");
    await modelWithVersion(name);

    expect(await admin("DELETE", "model-versions/delete", { name, version: "1" })).toEqual({
      status: 400,
      body: refused("INVALID_STATE"),
    });
    await admin("POST", "model-versions/transition-stage", { name, version: "1", stage: "Archived", archive_existing_versions: false });
    expect(await admin("DELETE", "model-versions/delete", { name, version: "1" })).toEqual({ status: 200, body: {} });
    expect(await ci("GET", "model-versions/get", { name, version: "1" })).toEqual({
      status: 404,
      body: refused("RESOURCE_DOES_NOT_EXIST"),
    });
  });
});

describe("the MLflow-compatible API: who may call", () => {
  it("answers PERMISSION_DENIED (403) to a caller without the route's role, UNAUTHENTICATED (401) to one without a token", async () => {
    const name = freshName("fraud_guarded");

    expect(await viewer("POST", "registered-models/create", { name })).toEqual({
      status: 403,
      body: refused("PERMISSION_DENIED", expect.stringContaining("'publisher' role")),
    });
    expect(await ci("DELETE", "model-versions/delete", { name, version: "1" })).toEqual({
      status: 403,
      body: refused("PERMISSION_DENIED"),
    });
    expect(await anonymous("GET", "registered-models/get", { name })).toEqual({ status: 401, body: refused("UNAUTHENTICATED") });
    expect(await ci("GET", "registered-models/list", {})).toEqual({ status: 404, body: refused("ENDPOINT_NOT_FOUND") });
  });
});

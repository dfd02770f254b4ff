import { beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { roleCaller } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { localCredentials } from "../../infra/local/engines";
import type { Caller } from "../../shared/domain/permissions";
import { getModel } from "../../shared/use-cases/get-model";
import { getVersion } from "../../shared/use-cases/get-version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { updateVersion } from "../../shared/use-cases/update-version";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { deleteAlias } from "../../shared/use-cases/delete-alias";
import { setAlias } from "../../shared/use-cases/set-alias";
import { getPolicy } from "../../shared/use-cases/get-policy";
import { putPolicy } from "../../shared/use-cases/put-policy";
import { getStageVersion } from "../../shared/use-cases/get-stage-version";
import { listStageVersions } from "../../shared/use-cases/list-stage-versions";
import { resolveModelUri } from "../../shared/use-cases/resolve-model-uri";
import { parseModelUri } from "../../shared/domain/model-uri";
import { STAGES, registerVersionBody, type Stage } from "../../shared/schemas/version";
import { ALLOWED_MOVES } from "../../shared/domain/lifecycle";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { policyBody } from "../../shared/schemas/policy";
import { versionKey } from "../../shared/store/entities/version";

const admin = roleCaller("release-admin", "req-admin");
const promoter = roleCaller("release-bot", "req-bot", ["reader", "promoter"]);
const trainer = roleCaller("training", "req-train");

const registry = useTestRegistry();

const move = (name: string, version: number, to: Stage, extra: Record<string, unknown> = {}, who: Caller = admin) =>
  transitionVersion(registry.deps, name, { number: version }, transitionBody.parse({ to, reason: `to ${to}`, ...extra }), who);

async function modelWithVersions(count: number, metrics: Record<string, number> = { auc: 0.93 }): Promise<string> {
  const name = uniqueModelName("fraud_detector");
  for (let i = 0; i < count; i++)
    await registerVersion(
      registry.deps,
      name,
      registerVersionBody.parse({ source: `s3://m/${i}`, metrics, tags: { team: "risk" } }),
      trainer,
    );
  return name;
}

const itemsOf = async (name: string) => (await registry.state()).filter((item) => item.pk === `MODEL#${name}`);
const historyOf = async (name: string) => (await itemsOf(name)).filter((item) => item.entity === "history");
const stageChanges = async (name: string) =>
  (await historyOf(name))
    .filter((h) => h.action === "STAGE_CHANGED")
    .map((h) => ({ version: h.version, from: h.fromStage, to: h.toStage, previousVersion: h.previousVersion }));

/** How to bring a fresh version 1 into a stage with allowed moves. */
const PATH_TO: Record<Stage, Stage[]> = { None: [], Staging: ["Staging"], Production: ["Staging", "Production"], Archived: ["Archived"] };

describe("stage moves through the use case against DynamoDB Local", () => {
  // test/unit/lifecycle.test.ts holds ALLOWED_MOVES to the spec; here every one of them runs against the table.
  it.each(STAGES.flatMap((from) => ALLOWED_MOVES[from].map((to) => [from, to] as const)))(
    "moves a version %s → %s with its history entry, index keys and stage map",
    async (from, to) => {
      const name = await modelWithVersions(1);
      for (const step of PATH_TO[from]) await move(name, 1, step);

      const result = await move(name, 1, to);

      expect(result).toEqual({ version: 1, from, to, archived: [] });
      const version = (await itemsOf(name)).find((item) => item.sk === versionKey(name, 1).sk);
      expect(version).toMatchObject({ stage: to, gsi1pk: `STAGE#${to}`, gsi1sk: `${name}#0000000001` });
      expect((await stageChanges(name)).at(-1)).toEqual({ version: 1, from, to, previousVersion: undefined });
      const { stages } = await getModel(registry.deps, name);
      expect(stages).toEqual(to === "Production" ? { Production: 1 } : to === "Staging" ? { Staging: [1] } : {});
      expect((await itemsOf(name)).some((item) => item.sk === "STAGE#Production")).toBe(to === "Production");
    },
  );

  it.each<[Stage, Stage]>([
    ["None", "Production"],
    ["None", "None"],
    ["Staging", "Staging"],
    ["Staging", "None"],
    ["Production", "Production"],
    ["Archived", "Production"],
    ["Archived", "None"],
  ])("refuses %s → %s with 409 TransitionNotAllowed and changes nothing", async (from, to) => {
    const name = await modelWithVersions(1);
    for (const step of PATH_TO[from]) await move(name, 1, step);
    const before = await itemsOf(name);

    await expect(move(name, 1, to)).rejects.toMatchObject({ code: "TransitionNotAllowed", details: { from, to } });
    expect(await itemsOf(name)).toEqual(before);
  });

  it("refuses to move a version that is not READY out of None with 409 VersionNotReady", async () => {
    const name = await modelWithVersions(1);
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: "us-east-1", endpoint: registry.config.endpoints.dynamodb, credentials: localCredentials }),
    );
    await documents.send(
      new UpdateCommand({
        TableName: registry.config.tableName,
        Key: versionKey(name, 1),
        UpdateExpression: "SET #s = :pending",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":pending": "PENDING_UPLOAD" },
      }),
    );

    await expect(move(name, 1, "Staging")).rejects.toMatchObject({
      code: "VersionNotReady",
      details: { version: 1, status: "PENDING_UPLOAD" },
    });
  });

  it("lets only an admin archive a version (403 for a promoter)", async () => {
    const name = await modelWithVersions(1);

    await expect(move(name, 1, "Archived", {}, promoter)).rejects.toMatchObject({
      code: "Forbidden",
      details: { missingRole: "admin" },
    });
    await expect(move(name, 1, "Staging", {}, promoter)).resolves.toMatchObject({ to: "Staging" });
  });

  it("lets only an admin archive the versions in Staging with archiveExisting (403 for a promoter, nothing moved)", async () => {
    const name = await modelWithVersions(2);
    await move(name, 1, "Staging");
    const before = await registry.state();

    await expect(move(name, 2, "Staging", { archiveExisting: true }, promoter)).rejects.toMatchObject({
      code: "Forbidden",
      details: { missingRole: "admin" },
    });
    expect(await registry.state()).toEqual(before);
  });

  it("archives the previous Production version in the same transaction and keeps the pointer's snapshot", async () => {
    const name = await modelWithVersions(2);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await move(name, 2, "Staging");

    const result = await move(name, 2, "Production", { expectedCurrentVersion: 1 });

    expect(result).toEqual({ version: 2, from: "Staging", to: "Production", archived: [1] });
    expect((await stageChanges(name)).slice(-2)).toEqual([
      { version: 2, from: "Staging", to: "Production", previousVersion: 1 },
      { version: 1, from: "Production", to: "Archived", previousVersion: undefined },
    ]);
    const promotion = (await historyOf(name)).slice(-2);
    expect(promotion[0]?.requestId).toBe(promotion[1]?.requestId);
    expect((await getModel(registry.deps, name)).stages).toEqual({ Production: 2 });
    expect(await getStageVersion(registry.deps, name, "Production")).toEqual(await getVersion(registry.deps, name, { number: 2 }));
    expect(await getVersion(registry.deps, name, { number: 1 })).toMatchObject({ stage: "Archived" });
  });

  it("answers 409 StageConflict with the actual occupant to a caller whose expectedCurrentVersion is stale, and writes nothing", async () => {
    const name = await modelWithVersions(3);
    for (const v of [1, 2, 3]) await move(name, v, "Staging");
    await move(name, 1, "Production", { expectedCurrentVersion: null });
    await move(name, 2, "Production", { expectedCurrentVersion: 1 });
    const before = await itemsOf(name);

    await expect(move(name, 3, "Production", { expectedCurrentVersion: 1 })).rejects.toMatchObject({
      code: "StageConflict",
      details: { stage: "Production", expected: 1, actual: 2 },
    });
    await expect(move(name, 3, "Production", { expectedCurrentVersion: null })).rejects.toMatchObject({
      code: "StageConflict",
      details: { expected: null, actual: 2 },
    });
    expect(await itemsOf(name)).toEqual(before);
  });

  it("archives the versions already in Staging when archiveExisting is set", async () => {
    const name = await modelWithVersions(3);
    await move(name, 1, "Staging");
    await move(name, 2, "Staging");

    const result = await move(name, 3, "Staging", { archiveExisting: true });

    expect(result).toEqual({ version: 3, from: "None", to: "Staging", archived: [1, 2] });
    expect((await getModel(registry.deps, name)).stages).toEqual({ Staging: [3] });
    expect(
      (await listStageVersions(registry.deps, "Archived", { limit: 100 })).items.filter((v) => v.model === name).map((v) => v.version),
    ).toEqual([1, 2]);
  });

  it("keeps the Production snapshot current when the version's tags change", async () => {
    const name = await modelWithVersions(1);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");

    await updateVersion(registry.deps, name, { stage: "Production" }, { tags: { team: "risk", reviewed: "yes" } }, trainer);

    expect((await getStageVersion(registry.deps, name, "Production")).tags).toEqual({ team: "risk", reviewed: "yes" });
    expect(await getStageVersion(registry.deps, name, "Production")).toEqual(await getVersion(registry.deps, name, { number: 1 }));
  });
});

describe("the promotion policy", () => {
  it("refuses a promotion with 422 PolicyViolation listing every failed rule, then lets a compliant one through", async () => {
    const name = await modelWithVersions(2, { auc: 0.91 });
    await putPolicy(
      registry.deps,
      name,
      policyBody.parse({
        Production: { minMetrics: { auc: 0.95, recall: 0.8 }, requiredTags: { reviewed: "yes" }, separateApprover: true },
      }),
      admin,
    );
    await move(name, 1, "Staging");
    const before = await itemsOf(name);

    const refusal = move(name, 1, "Production", {}, { ...promoter, actor: trainer.actor });

    await expect(refusal).rejects.toMatchObject({ code: "PolicyViolation" });
    const details = (await refusal.catch((e: { details: { rule: string }[] }) => e.details)) as { rule: string }[];
    expect(details.map((d) => d.rule)).toEqual(["minMetrics.auc", "minMetrics.recall", "requiredTags.reviewed", "separateApprover"]);
    expect(await itemsOf(name)).toEqual(before);

    await putPolicy(registry.deps, name, policyBody.parse({ Production: { minMetrics: { auc: 0.9 }, separateApprover: true } }), admin);
    await expect(move(name, 1, "Production", {}, promoter)).resolves.toMatchObject({ to: "Production" });
  });

  it("changes nothing when the policy in force is sent again, keys in another order: no revision, no entry", async () => {
    const name = await modelWithVersions(1);
    const first = await putPolicy(
      registry.deps,
      name,
      policyBody.parse({ Production: { minMetrics: { auc: 0.9, recall: 0.8 }, separateApprover: true }, protectedAliases: ["champion"] }),
      admin,
    );
    const before = await itemsOf(name);

    const again = await putPolicy(
      registry.deps,
      name,
      policyBody.parse({ protectedAliases: ["champion"], Production: { separateApprover: true, minMetrics: { recall: 0.8, auc: 0.9 } } }),
      admin,
    );

    expect(again).toEqual(first);
    expect(await itemsOf(name)).toEqual(before);
    await expect(
      putPolicy(registry.deps, name, policyBody.parse({ Production: { minMetrics: { auc: 0.9 } } }), admin),
    ).resolves.toMatchObject({ revision: 2 });
  });

  it("bumps the revision on every PUT and records POLICY_CHANGED with before and after", async () => {
    const name = await modelWithVersions(1);
    expect(await getPolicy(registry.deps, name)).toEqual({ model: name, revision: 0 });

    await putPolicy(registry.deps, name, policyBody.parse({ Staging: { requiredTags: ["team"] } }), admin);
    const second = await putPolicy(
      registry.deps,
      name,
      policyBody.parse({ Production: { minMetrics: { auc: 0.9 }, requireFrom: "Staging" } }),
      admin,
    );

    expect(second).toMatchObject({
      model: name,
      revision: 2,
      Production: { minMetrics: { auc: 0.9 }, requireFrom: ["Staging"] },
      updatedBy: admin.actor,
    });
    expect(await getPolicy(registry.deps, name)).toEqual(second);
    const changes = (await historyOf(name)).filter((h) => h.action === "POLICY_CHANGED").map((h) => h.changes);
    expect(changes).toEqual([
      { from: null, to: { Staging: { requiredTags: ["team"] } } },
      { from: { Staging: { requiredTags: ["team"] } }, to: { Production: { minMetrics: { auc: 0.9 }, requireFrom: ["Staging"] } } },
    ]);
  });
});

describe("rollback", () => {
  it("after three promotions puts back the second version and archives the third", async () => {
    const name = await modelWithVersions(3);
    for (const v of [1, 2, 3]) {
      await move(name, v, "Staging");
      await move(name, v, "Production");
    }

    const restored = await rollbackProduction(registry.deps, name, { reason: "v3 raises false positives" }, promoter);

    expect(restored).toEqual({ version: 2, from: "Archived", to: "Production", archived: [3] });
    expect((await getModel(registry.deps, name)).stages).toEqual({ Production: 2 });
    expect(await getStageVersion(registry.deps, name, "Production")).toEqual(await getVersion(registry.deps, name, { number: 2 }));
    expect(await getVersion(registry.deps, name, { number: 3 })).toMatchObject({ stage: "Archived" });
    expect((await stageChanges(name)).slice(-2)).toEqual([
      { version: 2, from: "Archived", to: "Production", previousVersion: 3 },
      { version: 3, from: "Production", to: "Archived", previousVersion: undefined },
    ]);
    expect((await historyOf(name)).at(-1)).toMatchObject({ reason: "v3 raises false positives", actor: promoter.actor });
  });

  it("undoes itself when repeated: a second rollback restores the version the first one replaced", async () => {
    const name = await modelWithVersions(2);
    for (const v of [1, 2]) {
      await move(name, v, "Staging");
      await move(name, v, "Production");
    }
    await rollbackProduction(registry.deps, name, { reason: "bad" }, promoter);

    await expect(rollbackProduction(registry.deps, name, { reason: "it was fine" }, promoter)).resolves.toMatchObject({ version: 2 });
  });

  it("brings back the last Production version when Production was emptied", async () => {
    const name = await modelWithVersions(1);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await move(name, 1, "Archived");

    await expect(rollbackProduction(registry.deps, name, { reason: "archived by mistake" }, promoter)).resolves.toEqual({
      version: 1,
      from: "Archived",
      to: "Production",
      archived: [],
    });
  });

  it("answers 409 NothingToRollBack when there is no earlier version, and changes nothing", async () => {
    const never = await modelWithVersions(1);
    const once = await modelWithVersions(1);
    await move(once, 1, "Staging");
    await move(once, 1, "Production");
    const before = await itemsOf(once);

    await expect(rollbackProduction(registry.deps, never, { reason: "x" }, promoter)).rejects.toMatchObject({
      code: "NothingToRollBack",
      message: expect.stringContaining("never had a version in Production"),
    });
    await expect(rollbackProduction(registry.deps, once, { reason: "x" }, promoter)).rejects.toMatchObject({
      code: "NothingToRollBack",
      message: expect.stringContaining("entered Production when it held no version"),
    });
    expect(await itemsOf(once)).toEqual(before);
  });

  it("says the version in Production replaced none when it entered Production after it was emptied, not that it was the first", async () => {
    const name = await modelWithVersions(2);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await move(name, 1, "Archived");
    await move(name, 2, "Staging");
    await move(name, 2, "Production");

    const refusal = await rollbackProduction(registry.deps, name, { reason: "x" }, promoter).catch((error: Error) => error);

    expect(refusal).toMatchObject({ code: "NothingToRollBack", details: { current: 2 } });
    expect((refusal as Error).message).toContain(`Version 2 of '${name}' entered Production when it held no version`);
  });
});

describe("aliases", () => {
  it("sets, moves with compare-and-set and deletes an alias, keeping the model's map and history in step", async () => {
    const name = await modelWithVersions(3);

    expect(await setAlias(registry.deps, name, "champion", { version: 1, expectedVersion: null }, promoter)).toEqual({
      model: name,
      alias: "champion",
      version: 1,
      previousVersion: null,
    });
    expect(
      await setAlias(registry.deps, name, "champion", { version: 2, expectedVersion: 1, reason: "better recall" }, promoter),
    ).toMatchObject({ version: 2, previousVersion: 1 });
    await expect(setAlias(registry.deps, name, "champion", { version: 3, expectedVersion: 1 }, promoter)).rejects.toMatchObject({
      code: "AliasConflict",
      details: { alias: "champion", expected: 1, actual: 2 },
    });
    await setAlias(registry.deps, name, "challenger", { version: 3 }, promoter);
    expect((await getModel(registry.deps, name)).aliases).toEqual({ champion: 2, challenger: 3 });

    expect(await deleteAlias(registry.deps, name, "challenger", promoter)).toEqual({
      model: name,
      alias: "challenger",
      version: null,
      previousVersion: 3,
    });
    await expect(deleteAlias(registry.deps, name, "challenger", promoter)).rejects.toMatchObject({ code: "AliasNotFound" });
    expect((await getModel(registry.deps, name)).aliases).toEqual({ champion: 2 });
    expect((await itemsOf(name)).filter((item) => item.entity === "alias").map((item) => [item.sk, item.version])).toEqual([
      ["ALIAS#champion", 2],
    ]);
    const aliasHistory = (await historyOf(name))
      .filter((h) => h.action === "ALIAS_CHANGED")
      .map((h) => [h.alias, h.version, h.previousVersion, h.reason]);
    expect(aliasHistory).toEqual([
      ["champion", 1, undefined, undefined],
      ["champion", 2, 1, "better recall"],
      ["challenger", 3, undefined, undefined],
      ["challenger", undefined, 3, undefined],
    ]);
  });

  it("changes nothing when an alias is set to the version it already names: no history entry, so no event", async () => {
    const name = await modelWithVersions(2);
    await setAlias(registry.deps, name, "champion", { version: 1 }, promoter);
    const before = await itemsOf(name);

    expect(await setAlias(registry.deps, name, "champion", { version: 1, reason: "retried" }, promoter)).toEqual({
      model: name,
      alias: "champion",
      version: 1,
      previousVersion: 1,
    });
    expect(await setAlias(registry.deps, name, "champion", { version: 1, expectedVersion: 1 }, promoter)).toMatchObject({ version: 1 });
    await expect(setAlias(registry.deps, name, "champion", { version: 1, expectedVersion: 2 }, promoter)).rejects.toMatchObject({
      code: "AliasConflict",
    });
    expect(await itemsOf(name)).toEqual(before);
    await setAlias(registry.deps, name, "champion", { version: 2 }, promoter);
    expect((await historyOf(name)).filter((h) => h.action === "ALIAS_CHANGED").map((h) => [h.version, h.previousVersion])).toEqual([
      [1, undefined],
      [2, 1],
    ]);
  });

  it("refuses an alias to a version that does not exist", async () => {
    const name = await modelWithVersions(1);
    await expect(setAlias(registry.deps, name, "champion", { version: 9 }, promoter)).rejects.toMatchObject({
      code: "VersionNotFound",
    });
  });
});

describe("resolving versions by stage, alias, label and URI", () => {
  let name: string;
  beforeAll(async () => {
    name = uniqueModelName("search_ranker");
    for (const semver of ["1.0.0", "1.1.0", "2.0.0", "2.1.0"])
      await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://m/${semver}`, semver }), trainer);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await move(name, 2, "Staging");
    await move(name, 3, "Staging");
    await setAlias(registry.deps, name, "champion", { version: 1 }, promoter);
  });

  it.each([
    ["models:/{name}/2", 2],
    ["models:/{name}/Production", 1],
    ["models:/{name}/production", 1],
    ["models:/{name}/Staging", 3],
    ["models:/{name}@champion", 1],
    ["models:/{name}@v1.1.0", 2],
    ["models:/{name}@latest", 4],
    ["models:/{name}/latest", 4],
  ])("resolves %s to version %i", async (template, version) => {
    const uri = template.replace("{name}", name);

    const resolved = await resolveModelUri(registry.deps, { uri, ...parseModelUri(uri)! });

    expect(resolved).toEqual({ ...(await getVersion(registry.deps, name, { number: version })), resolvedFrom: uri });
    expect(resolved.uri).toBe(`models:/${name}/${version}`);
  });

  it.each([
    [{ stage: "Production" as const }, 1],
    [{ stage: "Staging" as const }, 3],
    [{ alias: "champion" }, 1],
    [{ latest: true as const }, 4],
    [{ semver: "2.0.0" }, 3],
  ])("reads GET …/versions/{v} by %j", async (selector, version) => {
    expect(await getVersion(registry.deps, name, selector)).toMatchObject({ version });
  });

  it("says which name is missing: StageEmpty, AliasNotFound, ModelNotFound", async () => {
    await expect(getVersion(registry.deps, name, { stage: "Archived" })).rejects.toMatchObject({ code: "StageEmpty" });
    await expect(getStageVersion(registry.deps, name, "Archived")).rejects.toMatchObject({ code: "StageEmpty" });
    await expect(getVersion(registry.deps, name, { alias: "canary" })).rejects.toMatchObject({ code: "AliasNotFound" });
    const uri = "models:/unknown_ranker/Production";
    await expect(resolveModelUri(registry.deps, { uri, ...parseModelUri(uri)! })).rejects.toMatchObject({
      code: "ModelNotFound",
    });
  });

  it("lists a stage across models, paged", async () => {
    const first = await listStageVersions(registry.deps, "Staging", { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBeDefined();
    const all = await listStageVersions(registry.deps, "Staging", { limit: 100 });
    expect(all.items.filter((v) => v.model === name).map((v) => v.version)).toEqual([2, 3]);
    expect(all.items.every((v) => v.stage === "Staging")).toBe(true);
  });
});

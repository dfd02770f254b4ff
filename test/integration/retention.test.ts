import { beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext, putBytes, refusal, roleCaller, sha256, singlePut } from "../support/fixtures";
import { loadHandlers, storeFailingAfter, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { completeAndVerify, registerFailedVersion } from "../support/verification";
import { MiB, artifactObjectKey } from "../../shared/domain/artifacts";
import type { RetentionRules } from "../../shared/domain/retention";
import type { RetentionPreview } from "../../shared/schemas/retention";
import { registerVersionBody } from "../../shared/schemas/version";
import { versionKey } from "../../shared/store/entities/version";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { setAlias } from "../../shared/use-cases/set-alias";
import { updateVersion } from "../../shared/use-cases/update-version";
import { getVersion } from "../../shared/use-cases/get-version";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { putRetentionRules } from "../../shared/use-cases/retention-rules";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { HOUSEKEEPING_ACTOR, previewRetention, runHousekeeping } from "../../shared/use-cases/housekeeping";
import type { Stage } from "../../shared/domain/lifecycle";

const admin = roleCaller("ops-admin", "req-retention");
const registry = useTestRegistry();

const DAY_MS = 24 * 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const RULES: RetentionRules = { keepArchived: 3, deleteArchivedAfterDays: 30, abandonedUploadsAfterHours: 24 };
const EVERYTHING = { modelsPerRun: 1000, versionsPerModel: 1000 };

const registerSource = (name: string, extra: Record<string, unknown> = {}) =>
  registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://training/${name}/model.bin`, ...extra }), admin);
const registerArtifact = (name: string, bytes: Buffer, extra: Record<string, unknown> = {}) =>
  registerVersion(
    registry.deps,
    name,
    registerVersionBody.parse({ artifact: { filename: "model.bin", sizeBytes: bytes.length, sha256: sha256(bytes), ...extra } }),
    admin,
  );
const move = (name: string, version: number, to: Stage) =>
  transitionVersion(registry.deps, name, { number: version }, { to, reason: "", archiveExisting: false }, admin);
const backdate = (name: string, version: number, ms: number) => registry.setAttributes(versionKey(name, version), { updatedAt: ago(ms) });
const versionsOf = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "version").map((item) => item.version);
const deletionsOf = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.action === "VERSION_DELETED");
const objectExists = async (hex: string) => (await registry.deps.artifacts.head(artifactObjectKey(hex))) !== undefined;
const ranFor = (run: Awaited<ReturnType<typeof runHousekeeping>>, name: string) => run.models.find((m) => m.model === name);

/**
 * Twenty versions in every state, the rules keepArchived 3, deleteArchivedAfterDays 30 and
 * abandonedUploadsAfterHours 24, and what they delete: "old" is 60 days (versions) or 2 days (uploads).
 */
async function modelInEveryState(name: string) {
  const shared = randomBytes(4096);
  const old = new Set<number>();
  const archived = async (extra: Record<string, unknown> = {}, isOld = true) => {
    const { version } = await registerSource(name, extra);
    await move(name, version, "Archived");
    if (isOld) old.add(version);
    return version;
  };
  await archived(); // 1: parent of 2
  await registerSource(name, { lineage: { parentVersions: [1] } }); // 2: None
  const isProtected = await archived(); // 3
  await updateVersion(registry.deps, name, { number: isProtected }, { protected: true }, admin);
  const aliased = await archived(); // 4
  await setAlias(registry.deps, name, "baseline", { version: aliased }, admin);
  const sharing = await registerArtifact(name, shared); // 5: bytes shared with 15
  await putBytes(singlePut(sharing.upload), shared);
  await completeAndVerify(registry.deps, name, { number: sharing.version }, admin);
  await move(name, sharing.version, "Archived");
  old.add(sharing.version);
  await archived({}, false); // 6: fresh, below the 3 newest Archived versions that stay (19, 18, 9)
  await archived(); // 7: parent of 8, which goes too
  await archived({ lineage: { parentVersions: [7] } }); // 8
  await archived({}, false); // 9: fresh, among the 3 newest that stay
  const abandonedPart = randomBytes(16);
  const multipart = await registerArtifact(name, randomBytes(1024), {
    sizeBytes: 65 * MiB,
    partSizeBytes: 32 * MiB,
    parts: [{ partNumber: 1, sha256: sha256(abandonedPart) }],
  }); // 10: abandoned multipart upload
  await registerArtifact(name, randomBytes(1024)); // 11: fresh PENDING_UPLOAD
  await registerFailedVersion(registry, name, admin); // 12: old FAILED
  await registerFailedVersion(registry, name, admin); // 13: fresh FAILED
  const staging = await registerSource(name); // 14
  await move(name, staging.version, "Staging");
  const production = await registerArtifact(name, shared); // 15: READY at once, the bucket holds the bytes
  expect(production.status).toBe("READY");
  await move(name, production.version, "Staging");
  await move(name, production.version, "Production");
  await registerSource(name); // 16: None, READY
  await archived(); // 17: among the newest 3, but old
  await archived({}, false); // 18
  await archived({}, false); // 19
  await registerSource(name); // 20
  await putRetentionRules(registry.deps, name, RULES, admin);
  // Backdating last: every change above moved updatedAt to now.
  for (const version of [...old, 14, 15, 16]) await backdate(name, version, 60 * DAY_MS);
  for (const version of [10, 12]) await backdate(name, version, 2 * DAY_MS);
  return { sharedHex: sha256(shared), multipart, abandonedPart };
}

const EXPECTED_DELETIONS = [
  { version: 17, reason: "retention: deleteArchivedAfterDays 30", stage: "Archived", status: "READY" },
  { version: 12, reason: "retention: abandonedUploadsAfterHours 24", stage: "None", status: "FAILED" },
  { version: 10, reason: "retention: abandonedUploadsAfterHours 24", stage: "None", status: "PENDING_UPLOAD" },
  { version: 8, reason: "retention: deleteArchivedAfterDays 30", stage: "Archived", status: "READY" },
  { version: 7, reason: "retention: deleteArchivedAfterDays 30", stage: "Archived", status: "READY" },
  { version: 6, reason: "retention: keepArchived 3", stage: "Archived", status: "READY" },
  { version: 5, reason: "retention: deleteArchivedAfterDays 30", stage: "Archived", status: "READY" },
];
const deletedNumbers = EXPECTED_DELETIONS.map((d) => d.version);

describe("housekeeping applies a model's retention rules against DynamoDB Local and s3rver", () => {
  it("previews, then deletes exactly the versions the rules name and nothing in use; a second run deletes nothing", async () => {
    const name = uniqueModelName("fraud_detector");
    const { sharedHex, multipart, abandonedPart } = await modelInEveryState(name);

    const preview = await previewRetention(registry.deps, name);
    expect(preview).toEqual({
      model: name,
      rules: RULES,
      deletions: EXPECTED_DELETIONS,
      spared: [
        { version: 4, reason: "retention: deleteArchivedAfterDays 30", stage: "Archived", status: "READY", because: "alias baseline" },
        { version: 3, reason: "retention: deleteArchivedAfterDays 30", stage: "Archived", status: "READY", because: "protected" },
        {
          version: 1,
          reason: "retention: deleteArchivedAfterDays 30",
          stage: "Archived",
          status: "READY",
          because: "lineage parent of version 2",
        },
      ],
    });

    const run = await runHousekeeping(registry.deps, EVERYTHING, "run-1");

    expect(ranFor(run, name)).toEqual({ model: name, deleted: EXPECTED_DELETIONS.map(({ version, reason }) => ({ version, reason })) });
    const all = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(await versionsOf(name)).toEqual(all.filter((v) => !deletedNumbers.includes(v)));
    const entries = await deletionsOf(name);
    const recorded = entries.map((e) => ({ version: Number(e.version), reason: e.reason, actor: e.actor, requestId: e.requestId }));
    expect(recorded.sort((a, b) => b.version - a.version)).toEqual(
      EXPECTED_DELETIONS.map(({ version, reason }) => ({ version, reason, actor: HOUSEKEEPING_ACTOR, requestId: "run-1" })),
    );
    // Version 15 in Production still declares the bytes version 5 shared: the object stays, counted once.
    expect(await objectExists(sharedHex)).toBe(true);
    expect((await registry.items()).find((item) => item.pk === `ARTIFACT#${sharedHex}`)).toMatchObject({ refCount: 1 });
    // The abandoned multipart upload is aborted: its part URLs stop working, even for the part's declared bytes.
    if (multipart.upload?.method !== "MULTIPART") throw new Error("expected a multipart upload");
    const [part] = multipart.upload.parts;
    const afterwards = await fetch(part?.url ?? "", { method: "PUT", headers: part?.headers, body: abandonedPart });
    expect(await afterwards.text()).toContain("<Code>NoSuchUpload</Code>");

    const before = await registry.state();
    const second = await runHousekeeping(registry.deps, EVERYTHING, "run-2");
    expect(ranFor(second, name)).toEqual({ model: name, deleted: [] });
    expect((await registry.state()).filter((item) => item.pk === `MODEL#${name}` && item.sk !== "RETENTION")).toEqual(
      before.filter((item) => item.pk === `MODEL#${name}` && item.sk !== "RETENTION"),
    );
    expect((await previewRetention(registry.deps, name)).deletions).toEqual([]);
  }, 120_000);

  it("previews a page at a time, highest version first: the pages hold the whole plan, each verdict once", async () => {
    const name = uniqueModelName("fraud_detector");
    await modelInEveryState(name);
    const whole = await previewRetention(registry.deps, name);

    const pages: RetentionPreview[] = [];
    let cursor: string | undefined;
    do {
      const page = await previewRetention(registry.deps, name, { limit: 3, cursor });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);

    const numbers = (page: Pick<RetentionPreview, "deletions" | "spared">) =>
      [...page.deletions, ...page.spared].map((verdict) => verdict.version).sort((a, b) => b - a);
    expect(pages.map(numbers)).toEqual([[17, 12, 10], [8, 7, 6], [5, 4, 3], [1]]);
    expect(pages.flatMap((page) => page.deletions)).toEqual(whole.deletions);
    expect(pages.flatMap((page) => page.spared)).toEqual(whole.spared);
    expect(pages.map((page) => [page.model, page.rules])).toEqual(pages.map(() => [name, RULES]));
  }, 120_000);

  it("stops at versionsPerModel, highest version first, and the next runs go on where it stopped", async () => {
    const name = uniqueModelName("churn_predictor");
    await modelInEveryState(name);

    const deletedPerRun: number[][] = [];
    for (let run = 1; run <= 4; run++) {
      const outcome = await runHousekeeping(registry.deps, { modelsPerRun: 1000, versionsPerModel: 3 }, `run-${run}`);
      deletedPerRun.push((ranFor(outcome, name)?.deleted ?? []).map((d) => d.version));
    }

    expect(deletedPerRun).toEqual([[17, 12, 10], [8, 7, 6], [5], []]);
  }, 120_000);

  it("visits at most modelsPerRun models, those applied longest ago first, so every model gets its turn", async () => {
    const names = [uniqueModelName("ranker"), uniqueModelName("ranker")];
    for (const name of names) {
      const { version } = await registerSource(name);
      await move(name, version, "Archived");
      await putRetentionRules(registry.deps, name, { keepArchived: 0 }, admin);
    }
    // Every model with rules from the earlier tests is stamped already: the new ones come first.
    const first = await runHousekeeping(registry.deps, { modelsPerRun: 1, versionsPerModel: 10 }, "turn-1");
    const second = await runHousekeeping(registry.deps, { modelsPerRun: 1, versionsPerModel: 10 }, "turn-2");

    expect([...first.models, ...second.models].map((m) => m.model).sort()).toEqual([...names].sort());
    for (const name of names) expect(await versionsOf(name)).toEqual([]);
  }, 60_000);

  it("counts no version a deletion cut off midway is still taking apart: keepArchived keeps as many versions as it says", async () => {
    const name = uniqueModelName("sharded");
    const kept = await registerSource(name);
    await move(name, kept.version, "Archived");
    // Enough files for a manifest in chunks: its deletion marks the version, then takes one chunk per commit.
    const files = Array.from({ length: 150 }, (_, i) => ({ path: `shards/${i}.bin`, sizeBytes: 1, sha256: sha256(Buffer.from([i])) }));
    const cutOff = await registerVersion(registry.deps, name, registerVersionBody.parse({ files }), admin);
    await move(name, cutOff.version, "Archived");
    await expect(deleteVersion(storeFailingAfter(registry, 1), name, { number: cutOff.version }, admin)).rejects.toThrow("injected");
    await expect(getVersion(registry.deps, name, { number: cutOff.version })).rejects.toMatchObject({ code: "VersionNotFound" });
    await putRetentionRules(registry.deps, name, { keepArchived: 1 }, admin);

    expect(await previewRetention(registry.deps, name)).toMatchObject({ deletions: [] });
    await runHousekeeping(registry.deps, EVERYTHING, "cut-off");
    expect(await versionsOf(name)).toContain(kept.version);
  });

  /** `registry.deps` whose store (or retention runs) calls `hook` on the first call of `method` about `name`: before it (awaited), or alongside it. */
  function hookedDeps(
    method: "retentionQueue" | "allVersions" | "getVersionRecord",
    name: string,
    hook: () => Promise<unknown>,
    { awaited = false },
  ) {
    let fired = false;
    const port = ({ retentionQueue: "retentionRuns", allVersions: "retentionReads", getVersionRecord: "store" } as const)[method];
    const hooked = new Proxy<object>(registry.deps[port], {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        const call = (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args);
        if (property !== method) return call;
        return async (...args: unknown[]) => {
          if (!fired && (method === "retentionQueue" || args[0] === name)) {
            fired = true;
            const hooked = hook();
            if (awaited) await hooked;
          }
          return call(...args);
        };
      },
    });
    return { deps: { ...registry.deps, [port]: hooked } as typeof registry.deps, fired: () => fired };
  }

  const meanwhile = [
    {
      change: "protected",
      make: (name: string, v: number) => updateVersion(registry.deps, name, { number: v }, { protected: true }, admin),
    },
    { change: "named by an alias", make: (name: string, v: number) => setAlias(registry.deps, name, "fallback", { version: v }, admin) },
    { change: "made a lineage parent", make: (name: string, v: number) => registerSource(name, { lineage: { parentVersions: [v] } }) },
  ];

  it.each(meanwhile)("keeps a version $change after the run planned its deletion, before it committed", async ({ make }) => {
    const name = uniqueModelName("candidate");
    const { version } = await registerSource(name);
    await move(name, version, "Archived");
    await putRetentionRules(registry.deps, name, { keepArchived: 0 }, admin);
    // The deletion's first step reads the version: the change lands between the plan and the commit.
    const { deps, fired } = hookedDeps("getVersionRecord", name, () => make(name, version), { awaited: true });

    const run = await runHousekeeping(deps, EVERYTHING, "meanwhile");

    expect(fired()).toBe(true);
    expect(ranFor(run, name)).toEqual({ model: name, deleted: [] });
    expect(await versionsOf(name)).toContain(version);
  });

  const RACE_STEPS = ["retentionQueue", "allVersions", "getVersionRecord"] as const;

  it("never deletes a version that a racing restore put in Staging (12 rounds)", async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const name = uniqueModelName("candidate");
      const { version } = await registerSource(name);
      await move(name, version, "Archived");
      await putRetentionRules(registry.deps, name, { keepArchived: 0 }, admin);

      // The restore starts as the run reaches a step, a different one each round, and runs alongside it.
      let restore: Promise<boolean> | undefined;
      const step = RACE_STEPS[round % RACE_STEPS.length] as (typeof RACE_STEPS)[number];
      const startRestore = () =>
        (restore = move(name, version, "Staging").then(
          () => true,
          () => false,
        ));
      const { deps } = hookedDeps(step, name, startRestore, { awaited: false });
      const run = await runHousekeeping(deps, EVERYTHING, `race-${round}`);
      const restored = await restore;

      const deleted = (ranFor(run, name)?.deleted.length ?? 0) > 0;
      expect(restored !== deleted, "exactly one of the restore and the deletion wins").toBe(true);
      if (restored) expect((await getVersion(registry.deps, name, { number: version })).stage).toBe("Staging");
      else expect(await versionsOf(name)).toEqual([]);
      outcomes.push(`${step}: ${restored ? "restored" : "deleted"}`);
    }
    expect(outcomes).toHaveLength(12);
  }, 120_000);
});

let query: ApiHandler;
let lifecycle: ApiHandler;
const decoded = (response: APIGatewayProxyStructuredResultV2) => JSON.parse(response.body ?? "{}") as { error: { code: string } };
const seeded = uniqueModelName("fraud_detector");

describe("the retention routes", () => {
  beforeAll(async () => {
    ({ query, lifecycle } = await loadHandlers(registry, "query", "lifecycle"));
    await registerSource(seeded);
  });

  const putRules = (body: unknown, name = seeded) =>
    apiEvent({ routeKey: "PUT /models/{name}/retention", pathParameters: { name }, body, actor: "arn:aws:iam::000000000000:user/ops" });
  const protect = (body: unknown, v = "1") =>
    apiEvent({ routeKey: "PUT /models/{name}/versions/{v}/protection", pathParameters: { name: seeded, v }, body });

  const badWrites = [
    refusal("a negative count", putRules({ keepArchived: -1 })),
    refusal("a fractional count", putRules({ deleteArchivedAfterDays: 1.5 })),
    refusal("a count as a string", putRules({ keepArchived: "5" })),
    refusal("an unknown rule", putRules({ keepArchive: 5 })),
    refusal("a count past its bound", putRules({ abandonedUploadsAfterHours: 1e12 })),
    refusal("rules that are not an object", putRules([5])),
    refusal("rules of an unknown model", putRules({ keepArchived: 5 }, uniqueModelName("nobody")), 404, "ModelNotFound"),
    refusal("protection that is not a boolean", protect({ protected: "yes" })),
    refusal("protection with an unknown field", protect({ protected: true, reason: "x" })),
    refusal("protection of an unknown version", protect({ protected: true }, "99"), 404, "VersionNotFound"),
  ];

  it.each(badWrites)("answers $status $code to $name and changes nothing", async ({ request, status, code }) => {
    const before = await registry.state();

    const response = await lifecycle(request, lambdaContext);

    expect(response.statusCode).toBe(status);
    expect(decoded(response).error.code).toBe(code);
    expect(await registry.state()).toEqual(before);
  });

  it("answers 404 ModelNotFound to the rules and the preview of an unknown model", async () => {
    for (const routeKey of ["GET /models/{name}/retention", "GET /models/{name}/retention/preview"]) {
      const response = await query(apiEvent({ routeKey, pathParameters: { name: uniqueModelName("nobody") } }), lambdaContext);
      expect(response.statusCode).toBe(404);
      expect(decoded(response).error.code).toBe("ModelNotFound");
    }
  });

  it("sets rules and protection, records both in history, and {} removes the rules", async () => {
    expect((await lifecycle(putRules({ keepArchived: 5 }), lambdaContext)).statusCode).toBe(200);
    const protectedVersion = await lifecycle(protect({ protected: true }), lambdaContext);
    expect(JSON.parse(protectedVersion.body ?? "{}")).toMatchObject({ version: 1, protected: true });
    const rules = await query(apiEvent({ routeKey: "GET /models/{name}/retention", pathParameters: { name: seeded } }), lambdaContext);
    expect(JSON.parse(rules.body ?? "{}")).toMatchObject({
      model: seeded,
      keepArchived: 5,
      updatedBy: "arn:aws:iam::000000000000:user/ops",
    });

    expect((await lifecycle(putRules({}), lambdaContext)).statusCode).toBe(200);

    const history = (await registry.items()).filter((item) => item.pk === `MODEL#${seeded}` && item.entity === "history");
    expect(history.map((item) => item.changes).slice(-3)).toEqual([
      { retention: { from: null, to: { keepArchived: 5 } } },
      { protected: { to: true } },
      { retention: { from: { keepArchived: 5 }, to: null } },
    ]);
    expect((await registry.items()).some((item) => item.pk === `MODEL#${seeded}` && item.sk === "RETENTION")).toBe(false);
  });
});

describe("retention rules sent again", () => {
  it("changes nothing when the rules equal those stored, or {} meets a model without any: no history entry", async () => {
    const name = uniqueModelName("rules_again");
    await registerSource(name);
    const historyOf = async () => (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "history");
    await putRetentionRules(registry.deps, name, {}, admin);
    expect((await historyOf()).map((item) => item.action)).toEqual(["MODEL_CREATED", "VERSION_REGISTERED"]);

    const first = await putRetentionRules(registry.deps, name, RULES, admin);
    const before = (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
    const again = await putRetentionRules(
      registry.deps,
      name,
      { abandonedUploadsAfterHours: 24, deleteArchivedAfterDays: 30, keepArchived: 3 },
      admin,
    );

    expect(again).toEqual(first);
    expect((await registry.items()).filter((item) => item.pk === `MODEL#${name}`)).toEqual(before);
    await putRetentionRules(registry.deps, name, {}, admin);
    expect((await historyOf()).map((item) => (item.changes as { retention?: unknown } | undefined)?.retention)).toEqual([
      undefined,
      undefined,
      { from: null, to: RULES },
      { from: RULES, to: null },
    ]);
  });
});

describe("retention and the way back from an incident", () => {
  it("keeps the version a rollback of Production puts back, and the rollback still finds it", async () => {
    const name = uniqueModelName("rollback_kept");
    for (let i = 0; i < 3; i++) await registerSource(name);
    await move(name, 1, "Staging");
    await move(name, 1, "Production");
    await move(name, 2, "Staging");
    await move(name, 2, "Production"); // archives 1: what a rollback puts back
    await move(name, 3, "Archived");
    await putRetentionRules(registry.deps, name, { keepArchived: 0 }, admin);

    const preview = await previewRetention(registry.deps, name);
    const run = await runHousekeeping(registry.deps, EVERYTHING, "run-rollback-kept");

    const rule = "retention: keepArchived 0";
    expect(preview.deletions).toEqual([{ version: 3, reason: rule, stage: "Archived", status: "READY" }]);
    expect(preview.spared).toEqual([
      { version: 1, reason: rule, because: "the version a rollback of Production puts back", stage: "Archived", status: "READY" },
    ]);
    expect(ranFor(run, name)?.deleted).toEqual([{ version: 3, reason: rule }]);
    await expect(rollbackProduction(registry.deps, name, { reason: "version 2 misbehaves" }, admin)).resolves.toMatchObject({
      version: 1,
      archived: [2],
    });
  });
});

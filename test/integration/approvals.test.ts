import { beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiEvent, lambdaContext, refusal, roleCaller } from "../support/fixtures";
import { loadHandlers, uniqueModelName, useTestRegistry, type ApiHandler } from "../support/registry";
import { buildRegistryDeps } from "../../shared/composition";
import type { DomainError } from "../../shared/domain/errors";
import { ROLES, type Caller, type Role } from "../../shared/domain/permissions";
import { toModelEvent } from "../../shared/events/model-events";
import { recordApprovalBody } from "../../shared/schemas/approval";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { policyBody } from "../../shared/schemas/policy";
import { registerVersionBody } from "../../shared/schemas/version";
import { deleteVersion } from "../../shared/use-cases/delete-version";
import { listApprovals } from "../../shared/use-cases/list-approvals";
import { putPolicy } from "../../shared/use-cases/put-policy";
import { newApprovalItem } from "../../shared/store/entities/approval";
import { recordApproval } from "../../shared/use-cases/record-approval";
import { registerVersion } from "../../shared/use-cases/register-version";
import { setAlias } from "../../shared/use-cases/set-alias";
import { transitionVersion } from "../../shared/use-cases/transition-version";

const person = (name: string, roles: readonly Role[]): Caller => roleCaller(name, `req-${name}`, roles);
const creator = person("ci-trainer", ["reader", "publisher", "approver"]);
const releaseBot = person("release-bot", ["reader", "promoter"]);
const alice = person("alice", ["reader", "approver"]);
const bob = person("bob", ["reader", "approver"]);
const ada = person("ada", ["reader", "promoter", "approver"]);
const admin = person("root-admin", ROLES);

const registry = useTestRegistry({
  roleBindings: [creator, releaseBot, alice, bob, ada, admin].map((who) => ({ pattern: who.actor, roles: who.roles })),
});
let lifecycle: ApiHandler;
let query: ApiHandler;
beforeAll(async () => {
  ({ lifecycle, query } = await loadHandlers(registry, "lifecycle", "query"));
});

const TWO_APPROVALS = policyBody.parse({ Production: { requiredApprovals: { count: 2, distinctFromCreator: true } } });

/** A model whose version 1, registered by `creator`, is in Staging, under `policy`. */
async function stagedModel(policy = TWO_APPROVALS): Promise<string> {
  const name = uniqueModelName("fraud_detector");
  await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://m/1", metrics: { auc: 0.97 } }), creator);
  await transitionVersion(registry.deps, name, { number: 1 }, transitionBody.parse({ to: "Staging", reason: "validated" }), releaseBot);
  await putPolicy(registry.deps, name, policy, admin);
  return name;
}

const decide = (name: string, version: number, who: Caller, decision: "approve" | "reject", stage = "Production") =>
  recordApproval(registry.deps, name, { number: version }, recordApprovalBody.parse({ stage, decision }), who);
const promote = (name: string, deps = registry.deps) =>
  transitionVersion(deps, name, { number: 1 }, transitionBody.parse({ to: "Production", reason: "approved" }), releaseBot);
const refusalOf = (attempt: Promise<unknown>) =>
  attempt.then(
    () => expect.unreachable("the move went through"),
    (error: DomainError) => error,
  );

const historyOf = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "history");

describe("a Production gate needing two approvals from approvers other than the creator", () => {
  it("refuses the promotion with 0, 1 and the creator's own approval, saying how many are missing and from whom", async () => {
    const name = await stagedModel();

    const none = await refusalOf(promote(name));
    await decide(name, 1, alice, "approve");
    const one = await refusalOf(promote(name));
    await decide(name, 1, creator, "approve");
    await decide(name, 1, alice, "approve"); // an approver approving twice still counts once
    const withOwn = await refusalOf(promote(name));

    const expected = { count: 2, from: { roles: ["approver"], notFrom: creator.actor } };
    expect(none.code).toBe("PolicyViolation");
    expect(none.details).toEqual([
      expect.objectContaining({ rule: "requiredApprovals", expected, actual: { count: 0, approvers: [], missing: 2 } }),
    ]);
    expect(none.message).toContain(`2 more from a caller holding approver other than ${creator.actor}, who registered it`);
    expect(one.details).toEqual([
      expect.objectContaining({ rule: "requiredApprovals", actual: { count: 1, approvers: [alice.actor], missing: 1 } }),
    ]);
    expect(withOwn.details).toEqual([
      expect.objectContaining({ rule: "requiredApprovals", actual: { count: 1, approvers: [alice.actor], missing: 1 } }),
    ]);
    expect(withOwn.message).toContain(`(${creator.actor}'s own approval does not count)`);
    expect((await registry.deps.store.getModel(name))?.stages.Production).toBeUndefined();
  });

  it("promotes with two approvals, and its history entry and event list both approvers", async () => {
    const name = await stagedModel();
    await decide(name, 1, bob, "approve");
    await decide(name, 1, alice, "approve");

    expect(await promote(name)).toMatchObject({ version: 1, to: "Production" });

    const entry = (await historyOf(name)).find((item) => item.action === "STAGE_CHANGED" && item.toStage === "Production");
    expect(entry).toMatchObject({ approvers: [alice.actor, bob.actor] });
    const event = toModelEvent(entry as Record<string, unknown>, "bus");
    expect(JSON.parse(event?.Detail ?? "{}")).toMatchObject({ version: 1, toStage: "Production", approvers: [alice.actor, bob.actor] });
  });

  it("refuses the promotion while an eligible approver's rejection stands, naming them and why", async () => {
    const name = await stagedModel(policyBody.parse({ Production: { requiredApprovals: { count: 1 } } }));
    await decide(name, 1, alice, "approve");
    await recordApproval(
      registry.deps,
      name,
      { number: 1 },
      recordApprovalBody.parse({ stage: "production", decision: "reject", comment: "drift on the holdout" }),
      bob,
    );

    const refused = await refusalOf(promote(name));

    expect(refused.details).toEqual([
      expect.objectContaining({ rule: "requiredApprovals.rejected", actual: { count: 1, approvers: [bob.actor] } }),
    ]);
    expect(refused.message).toContain(`${bob.actor} ("drift on the holdout") rejected it for Production`);
  });

  it("answers a promotion 30 approvers reject with a 422 naming the first 20 and counting the other 10", async () => {
    const name = await stagedModel(policyBody.parse({ Production: { requiredApprovals: { count: 1 } } }));
    const rejecters = Array.from({ length: 30 }, (_, i) => person(`rejecter-${String(i).padStart(2, "0")}`, ["reader", "approver"]));
    for (const rejecter of rejecters) await decide(name, 1, rejecter, "reject");
    const transition = { to: "Production", reason: "approved" };

    const refused = await lifecycle(
      apiEvent({
        routeKey: "POST /models/{name}/versions/{v}/transitions",
        pathParameters: { name, v: "1" },
        body: transition,
        actor: releaseBot.actor,
      }),
      lambdaContext,
    );

    expect(refused.statusCode).toBe(422);
    const { message, details } = body(refused).error;
    const named = rejecters.slice(0, 20).map((rejecter) => rejecter.actor);
    expect(details).toContainEqual(
      expect.objectContaining({ rule: "requiredApprovals.rejected", actual: { count: 30, approvers: named } }),
    );
    expect(message).toContain(
      `${named.join(", ")} and 10 more (GET …/approvals?stage=Production lists them all) rejected it for Production`,
    );
  });

  it("counts only approvers holding the gate's roles", async () => {
    const name = await stagedModel(policyBody.parse({ Production: { requiredApprovals: { count: 1, roles: ["admin"] } } }));
    await decide(name, 1, alice, "approve");

    const refused = await refusalOf(promote(name));
    await decide(name, 1, admin, "approve");

    expect(refused.details).toEqual([
      expect.objectContaining({ expected: { count: 1, from: { roles: ["admin"], notFrom: creator.actor } } }),
    ]);
    expect(await promote(name)).toMatchObject({ to: "Production" });
  });

  it("counts the promoter's own approval, unless the gate says distinctFromPromoter: true", async () => {
    const moveAsAda = (name: string) =>
      transitionVersion(registry.deps, name, { number: 1 }, transitionBody.parse({ to: "Production", reason: "approved" }), ada);
    const counted = await stagedModel();
    const leftOut = await stagedModel(policyBody.parse({ Production: { requiredApprovals: { count: 2, distinctFromPromoter: true } } }));
    for (const name of [counted, leftOut]) for (const who of [ada, alice]) await decide(name, 1, who, "approve");

    const refused = await refusalOf(moveAsAda(leftOut));
    await decide(leftOut, 1, bob, "approve");

    expect(await moveAsAda(counted)).toMatchObject({ to: "Production" });
    expect(refused.details).toEqual([
      expect.objectContaining({
        expected: { count: 2, from: { roles: ["approver"], notFrom: creator.actor, notFromPromoter: ada.actor } },
        actual: { count: 1, approvers: [alice.actor], missing: 1 },
      }),
    ]);
    expect(refused.message).toContain(`(${ada.actor}'s own approval does not count)`);
    expect((await registry.deps.store.getModel(leftOut))?.stages.Production).toBeUndefined();
    expect(await moveAsAda(leftOut)).toMatchObject({ to: "Production" });
    const entry = (await historyOf(leftOut)).find((item) => item.action === "STAGE_CHANGED" && item.toStage === "Production");
    expect(entry).toMatchObject({ approvers: [alice.actor, bob.actor] });
  });

  it("keeps each approver's latest decision, one history entry per change of mind, none for a repeat", async () => {
    const name = await stagedModel();
    await decide(name, 1, alice, "approve");
    await decide(name, 1, alice, "approve");
    await decide(name, 1, alice, "reject");
    await decide(name, 1, bob, "approve", "alias:champion");

    const all = await listApprovals(registry.deps, name, { number: 1 }, { limit: 25 });
    const production = await listApprovals(registry.deps, name, { number: 1 }, { stage: "Production", limit: 25 });
    const entries = (await historyOf(name)).filter((item) => item.action === "APPROVAL_RECORDED");

    expect(all.items.map(({ stage, approver, decision }) => ({ stage, approver, decision }))).toEqual([
      { stage: "Production", approver: alice.actor, decision: "reject" },
      { stage: "alias:champion", approver: bob.actor, decision: "approve" },
    ]);
    expect(production.items).toHaveLength(1);
    expect(entries.map((e) => [e.toStage ?? e.alias, e.changes])).toEqual([
      ["Production", { decision: { from: null, to: "approve" } }],
      ["Production", { decision: { from: "approve", to: "reject" } }],
      ["champion", { decision: { from: null, to: "approve" } }],
    ]);
  });
});

/**
 * Rounds of `act` (a change that needs bob's approval for `stage`) raced against bob's rejection
 * from a second process (its own store, its own turns: only DynamoDB serialises the two). In each
 * round the change either committed before the rejection, or was refused and changed nothing.
 */
async function raceRejections(
  stage: string,
  round: {
    prepare: () => Promise<string>;
    act: (name: string) => Promise<unknown>;
    committed: (history: Record<string, unknown>[]) => Record<string, unknown> | undefined;
    refusedWith: string;
  },
): Promise<Record<string, number>> {
  const elsewhere = { ...registry.deps, store: buildRegistryDeps(registry.config).store };
  const outcomes: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const name = await round.prepare();
    await decide(name, 1, bob, "approve", stage);
    const before = await registry.deps.store.getModel(name);

    const [change, rejection] = await Promise.allSettled([
      round.act(name),
      recordApproval(elsewhere, name, { number: 1 }, recordApprovalBody.parse({ stage, decision: "reject" }), bob),
    ]);

    expect(rejection.status).toBe("fulfilled");
    const history = await historyOf(name);
    const rejected = history.find(
      (item) => item.action === "APPROVAL_RECORDED" && (item.changes as { decision: { to: string } }).decision.to === "reject",
    );
    const committed = round.committed(history);
    if (change.status === "fulfilled") {
      expect(committed?.sequence as number).toBeLessThan(rejected?.sequence as number);
      outcomes.push("committed first");
    } else {
      expect((change.reason as DomainError).code).toBe(round.refusedWith);
      expect(committed).toBeUndefined();
      const after = await registry.deps.store.getModel(name);
      expect({ stages: after?.stages, aliases: after?.aliases }).toEqual({ stages: before?.stages, aliases: before?.aliases });
      outcomes.push("refused");
    }
  }
  return countOf(outcomes);
}

const ROUNDS = 20;

describe("a rejection recorded while the change it would refuse commits", () => {
  it("never lets a promotion through unless it committed, counting both approvals, before the rejection", async () => {
    const outcomes = await raceRejections("Production", {
      prepare: async () => {
        const name = await stagedModel();
        await decide(name, 1, alice, "approve");
        return name;
      },
      act: (name) => promote(name),
      committed: (history) => {
        const promoted = history.find((item) => item.action === "STAGE_CHANGED" && item.toStage === "Production");
        if (promoted) expect(promoted).toMatchObject({ approvers: [alice.actor, bob.actor] });
        return promoted;
      },
      refusedWith: "PolicyViolation",
    });
    console.info(`promotion against a concurrent rejection, ${ROUNDS} rounds:`, outcomes);
  }, 120_000);

  it("never lets a promoter move a protected alias unless the move committed before the rejection", async () => {
    const outcomes = await raceRejections("alias:champion", {
      prepare: async () => {
        const name = uniqueModelName("fraud_detector");
        await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://m/1" }), creator);
        await putPolicy(registry.deps, name, policyBody.parse({ protectedAliases: ["champion"] }), admin);
        return name;
      },
      act: (name) => setAlias(registry.deps, name, "champion", { version: 1 }, releaseBot),
      committed: (history) => history.find((item) => item.action === "ALIAS_CHANGED"),
      refusedWith: "Forbidden",
    });
    console.info(`protected alias move against a concurrent rejection, ${ROUNDS} rounds:`, outcomes);
  }, 120_000);
});

const countOf = (outcomes: string[]) => Object.fromEntries([...new Set(outcomes)].map((o) => [o, outcomes.filter((x) => x === o).length]));

const body = (response: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(response.body ?? "{}") as Record<string, unknown> & { error: { code: string; message: string; details?: unknown } };
const aliasEvent = (method: "PUT" | "DELETE", name: string, who: Caller, version?: number) =>
  apiEvent({
    routeKey: `${method} /models/{name}/aliases/{alias}`,
    pathParameters: { name, alias: "champion" },
    body: version === undefined ? undefined : { version },
    actor: who.actor,
  });
const approvalEvent = (name: string, v: string, who: Caller, payload: unknown) =>
  apiEvent({ routeKey: "POST /models/{name}/versions/{v}/approvals", pathParameters: { name, v }, body: payload, actor: who.actor });

describe("a protected alias", () => {
  /** A model with versions 1–3 READY, `champion` protected and on version 1. */
  async function championModel(): Promise<string> {
    const name = uniqueModelName("fraud_detector");
    for (const v of [1, 2, 3]) await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://m/${v}` }), creator);
    await putPolicy(registry.deps, name, policyBody.parse({ protectedAliases: ["champion"] }), admin);
    expect((await lifecycle(aliasEvent("PUT", name, admin, 1), lambdaContext)).statusCode).toBe(200);
    return name;
  }

  it("refuses a move by a promoter with 403 naming the admin role and the approval it lacks", async () => {
    const name = await championModel();
    const before = await registry.state();

    const refused = await lifecycle(aliasEvent("PUT", name, releaseBot, 2), lambdaContext);

    expect(refused.statusCode).toBe(403);
    expect(body(refused).error.message).toContain(
      `'champion' is a protected alias of '${name}': moving it needs the 'admin' role, or an approval of version 2 for "alias:champion"`,
    );
    expect(body(refused).error.details).toMatchObject({ missingRole: "admin", missingApproval: { stage: "alias:champion" } });
    expect(await registry.state()).toEqual(before);
  });

  it("moves for an admin, and for a promoter once someone else approved that version for the alias", async () => {
    const name = await championModel();

    expect((await lifecycle(aliasEvent("PUT", name, admin, 2), lambdaContext)).statusCode).toBe(200);
    expect(
      (await lifecycle(approvalEvent(name, "3", alice, { stage: "alias:champion", decision: "approve" }), lambdaContext)).statusCode,
    ).toBe(200);
    const moved = await lifecycle(aliasEvent("PUT", name, releaseBot, 3), lambdaContext);

    expect(moved.statusCode).toBe(200);
    expect(body(moved)).toMatchObject({ version: 3, previousVersion: 2 });
  });

  it("does not count the mover's own approval, and refuses a removal of the version nobody else approved", async () => {
    const name = await championModel();
    await lifecycle(approvalEvent(name, "1", ada, { stage: "alias:champion", decision: "approve" }), lambdaContext);

    const ownApproval = await lifecycle(aliasEvent("DELETE", name, ada), lambdaContext);
    await lifecycle(approvalEvent(name, "1", bob, { stage: "alias:champion", decision: "approve" }), lambdaContext);
    const approved = await lifecycle(aliasEvent("DELETE", name, ada), lambdaContext);

    expect(ownApproval.statusCode).toBe(403);
    expect(body(ownApproval).error.message).toContain(`removing it needs the 'admin' role`);
    expect(body(ownApproval).error.message).toContain(`no one but ${ada.actor} has approved it`);
    expect(approved.statusCode).toBe(200);
  });
});

const approvalItems = async (name: string) =>
  (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "approval");

/** Another process's store: its change contends in DynamoDB, not behind this process's turn. */
const anotherProcess = () => ({ ...registry.deps, store: buildRegistryDeps(registry.config).store });

/** The removal reads, with what `around` does about each read of a version's leftovers (a deletion's plan reads them). */
function aroundLeftoversRead(around: (read: () => Promise<unknown>) => Promise<unknown>): typeof registry.deps.removalReads {
  return new Proxy(registry.deps.removalReads, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      const call = (...args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      return property === "versionLeftovers" ? (...args: unknown[]) => around(() => call(...args)) : call;
    },
  });
}

describe("a deleted version's approvals", () => {
  const archive = (name: string) =>
    transitionVersion(registry.deps, name, { number: 1 }, transitionBody.parse({ to: "Archived", reason: "superseded" }), admin);

  it("go with the version, in its deletion's transaction; their APPROVAL_RECORDED entries stay in history", async () => {
    const name = await stagedModel();
    await decide(name, 1, alice, "approve");
    await decide(name, 1, bob, "reject", "alias:champion");
    await archive(name);

    await deleteVersion(registry.deps, name, { number: 1 }, admin);

    expect(await approvalItems(name)).toEqual([]);
    const recorded = (await historyOf(name)).filter((entry) => entry.action === "APPROVAL_RECORDED");
    expect(recorded.map((entry) => entry.version)).toEqual([1, 1]);
  });

  it("recorded while the deletion plans, go with it: the deletion's commit finds the model changed and plans again", async () => {
    const name = await stagedModel();
    await archive(name);
    const elsewhere = anotherProcess();
    let recorded: Promise<unknown> | undefined;
    const removalReads = aroundLeftoversRead(async (read) => {
      const leftovers = await read();
      recorded ??= recordApproval(
        elsewhere,
        name,
        { number: 1 },
        recordApprovalBody.parse({ stage: "Production", decision: "approve" }),
        alice,
      );
      await recorded;
      return leftovers;
    });

    await deleteVersion({ ...registry.deps, removalReads }, name, { number: 1 }, admin);

    await expect(recorded).resolves.toMatchObject({ approver: alice.actor, decision: "approve" });
    expect(await approvalItems(name)).toEqual([]);
  });

  it("go too when they are more than one transaction holds: shed a commit at a time, then the version with the rest", async () => {
    const name = await stagedModel();
    const approvers = Array.from({ length: 120 }, (_, i) => person(`approver-${i}`, ["reader", "approver"]));
    for (const approver of approvers) await decide(name, 1, approver, "approve");
    await archive(name);
    expect(await approvalItems(name)).toHaveLength(120);

    await deleteVersion(registry.deps, name, { number: 1 }, admin);

    expect(await approvalItems(name)).toEqual([]);
    expect((await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "version")).toEqual([]);
  }, 120_000);
});

describe("a deletion that must shed a version's approvals, raced by a restore of the version", () => {
  const REVIEWERS = 110;
  /** Many standing approvals for both gated stages, written straight to the table: recording each would take a commit. */
  async function approvedByReviewers(name: string): Promise<void> {
    for (const stage of ["Production", "Staging"])
      for (let i = 0; i < REVIEWERS; i++) {
        const reviewer = person(`reviewer-${i}`, ["reader", "approver"]);
        const { pk, sk, ...item } = newApprovalItem({
          model: name,
          version: 1,
          stage,
          approver: reviewer.actor,
          roles: reviewer.roles,
          decision: "approve",
          now: new Date().toISOString(),
        });
        await registry.setAttributes({ pk, sk }, item);
      }
  }

  it.each([1, 2, 3])(
    "either deletes the version with them all or, refused, leaves every one, the rejection too (restore before the deletion's plan %i of 3)",
    async (restoreBeforePlan) => {
      const name = await stagedModel();
      // bob sorts before every reviewer: his rejection is among the first a deletion sheds.
      await decide(name, 1, bob, "reject");
      await approvedByReviewers(name);
      await transitionVersion(registry.deps, name, { number: 1 }, transitionBody.parse({ to: "Archived", reason: "superseded" }), admin);
      const before = await approvalItems(name);
      const elsewhere = anotherProcess();
      let plans = 0;
      let restored: Promise<unknown> | undefined;
      const removalReads = aroundLeftoversRead(async (read) => {
        if (++plans === restoreBeforePlan)
          restored = transitionVersion(elsewhere, name, { number: 1 }, transitionBody.parse({ to: "Staging", reason: "restore" }), admin);
        await restored?.catch(() => undefined);
        return read();
      });

      const deletion = await deleteVersion({ ...registry.deps, removalReads }, name, { number: 1 }, admin).catch((error: unknown) => error);

      expect(plans).toBeGreaterThanOrEqual(restoreBeforePlan);
      if (deletion instanceof Error) {
        expect(deletion).toMatchObject({ code: "VersionInUse" });
        await expect(restored).resolves.toMatchObject({ to: "Staging" });
        expect(await approvalItems(name)).toEqual(before);
        expect(await refusalOf(promote(name))).toMatchObject({
          code: "PolicyViolation",
          details: [expect.objectContaining({ rule: "requiredApprovals.rejected", actual: { count: 1, approvers: [bob.actor] } })],
        });
      } else {
        await expect(restored).rejects.toMatchObject({ code: "VersionNotFound" });
        expect(await approvalItems(name)).toEqual([]);
      }
    },
    120_000,
  );
});

describe("bad approval requests get a clear 4xx and change nothing", () => {
  let name: string;
  beforeAll(async () => {
    name = await stagedModel();
  });
  const approve = (payload: unknown, v = "1") => ({ handler: () => lifecycle, event: () => approvalEvent(name, v, alice, payload) });
  const list = (queryStringParameters: Record<string, string>, v = "1") => ({
    handler: () => query,
    event: () =>
      apiEvent({
        routeKey: "GET /models/{name}/versions/{v}/approvals",
        pathParameters: { name, v },
        queryStringParameters,
        actor: alice.actor,
      }),
  });
  const policy = (payload: unknown) => ({
    handler: () => lifecycle,
    event: () => apiEvent({ routeKey: "PUT /models/{name}/policy", pathParameters: { name }, body: payload, actor: admin.actor }),
  });

  it.each([
    refusal("a missing body", approve(undefined)),
    refusal("a stage that is none", approve({ stage: "Prod", decision: "approve" })),
    refusal("a stage no gate has (Archived)", approve({ stage: "Archived", decision: "approve" })),
    refusal("an alias that is not one", approve({ stage: "alias:Champion!", decision: "approve" })),
    refusal("the implicit alias", approve({ stage: "alias:latest", decision: "approve" })),
    refusal("a decision that is neither", approve({ stage: "Production", decision: "maybe" })),
    refusal("an unknown field", approve({ stage: "Production", decision: "approve", approver: "someone-else" })),
    refusal("an empty comment", approve({ stage: "Production", decision: "approve", comment: "" })),
    refusal("a comment over 1024 characters", approve({ stage: "Production", decision: "approve", comment: "x".repeat(1025) })),
    refusal("an unknown version", approve({ stage: "Production", decision: "approve" }, "9"), 404, "VersionNotFound"),
    refusal("a listing of an unknown stage", list({ stage: "Prod" })),
    refusal("a listing with a limit of 0", list({ limit: "0" })),
    refusal("a listing with a forged cursor", list({ cursor: "bm90LWEtY3Vyc29y" })),
    refusal("a listing of an unknown version", list({}, "9"), 404, "VersionNotFound"),
    refusal("a gate needing no approval", policy({ Production: { requiredApprovals: { count: 0 } } })),
    refusal("a gate needing 11 approvals", policy({ Production: { requiredApprovals: { count: 11 } } })),
    refusal("a gate counting an unknown role", policy({ Production: { requiredApprovals: { count: 1, roles: ["boss"] } } })),
    refusal("a misspelt approvals rule", policy({ Production: { requiredApprovals: { count: 1, distinctFromCreater: true } } })),
    refusal("a protected alias that is a stage name", policy({ protectedAliases: ["production"] })),
    refusal("a protected alias that is not a list", policy({ protectedAliases: "champion" })),
  ])("answers $status $code to $name", async ({ request, status, code }) => {
    const event = request.event();
    const before = await registry.state();

    const response = await request.handler()(event, lambdaContext);

    expect(response.statusCode, response.body).toBe(status);
    expect(body(response).error.code).toBe(code);
    expect(body(response).error.message.length).toBeGreaterThan(10);
    expect(await registry.state()).toEqual(before);
  });
});

import { describe, expect, it } from "vitest";
import { roleCaller } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { type DomainError, StageEmptyError } from "../../shared/domain/errors";
import { evaluateGate } from "../../shared/domain/policy";
import { getModel } from "../../shared/use-cases/get-model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { setAlias } from "../../shared/use-cases/set-alias";
import { putPolicy } from "../../shared/use-cases/put-policy";
import { getStageVersion } from "../../shared/use-cases/get-stage-version";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { policyBody, type PromotionPolicy } from "../../shared/schemas/policy";

const caller = (requestId: string) => roleCaller(`deployer-${requestId}`, requestId);
const trainer = roleCaller("training", "req-train");

const registry = useTestRegistry();

async function modelInStaging(versions: number, metrics: Record<string, number> = { auc: 0.9 }): Promise<string> {
  const name = uniqueModelName("fraud_detector");
  for (let v = 1; v <= versions; v++) {
    await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://m/${v}`, metrics }), trainer);
    await transitionVersion(
      registry.deps,
      name,
      { number: v },
      transitionBody.parse({ to: "Staging", reason: "validated" }),
      caller("setup"),
    );
  }
  return name;
}

const itemsOf = async (name: string) => (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
const historyOf = async (name: string) =>
  (await itemsOf(name)).filter((item) => item.entity === "history").sort((a, b) => (a.sequence as number) - (b.sequence as number));

/** Runs `tasks` at once; each first reads, then all act together once every read is done (the race the test is about). */
async function race<S, T>(
  count: number,
  read: (i: number) => Promise<S>,
  act: (i: number, seen: S) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  let allRead!: () => void;
  const barrier = new Promise<void>((resolve) => (allRead = resolve));
  let reads = 0;
  return Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      const seen = await read(i);
      if (++reads === count) allRead();
      await barrier;
      return act(i, seen);
    }),
  );
}

const productionNow = (name: string) =>
  getStageVersion(registry.deps, name, "Production").then(
    (view) => view.version,
    (error: unknown) => (error instanceof StageEmptyError ? null : Promise.reject(error)),
  );

/** Replays the STAGE_CHANGED entries, one transaction (request) at a time: Production never holds two versions after one. */
function replayStages(history: Record<string, unknown>[]): Map<number, string> {
  const stages = new Map<number, string>();
  let request: unknown;
  const assertOneInProduction = () => expect([...stages.values()].filter((s) => s === "Production").length).toBeLessThanOrEqual(1);
  for (const entry of history.filter((h) => h.action === "STAGE_CHANGED")) {
    if (entry.requestId !== request) assertOneInProduction();
    request = entry.requestId;
    expect(stages.get(entry.version as number) ?? "None").toBe(entry.fromStage);
    stages.set(entry.version as number, entry.toStage as string);
  }
  assertOneInProduction();
  return stages;
}

const ROUNDS = 3;
const CALLERS = 50;

describe("concurrent promotions against DynamoDB Local", () => {
  it(`lets exactly one of ${CALLERS} concurrent promotions win per round; every other caller gets 409 StageConflict`, async () => {
    const name = await modelInStaging(CALLERS + ROUNDS - 1);
    let previousWinner: number | null = null;

    for (let round = 1; round <= ROUNDS; round++) {
      const candidates = ((await getModel(registry.deps, name)).stages.Staging ?? []).slice(0, CALLERS);
      expect(candidates).toHaveLength(CALLERS);

      const outcomes = await race(
        CALLERS,
        () => productionNow(name),
        (i, seen) =>
          transitionVersion(
            registry.deps,
            name,
            { number: candidates[i]! },
            transitionBody.parse({ to: "Production", reason: `round ${round}`, expectedCurrentVersion: seen }),
            caller(`r${round}-c${i}`),
          ),
      );

      const winners = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(winner).toEqual({
        version: winner.version,
        from: "Staging",
        to: "Production",
        archived: previousWinner === null ? [] : [previousWinner],
      });
      const losers = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as DomainError] : []));
      expect(losers).toHaveLength(CALLERS - 1);
      for (const loser of losers)
        expect(loser).toMatchObject({ code: "StageConflict", details: { expected: previousWinner, actual: winner.version } });

      // The table itself: one version item in Production, the pointer and the model item agree with it.
      const items = await itemsOf(name);
      const inProduction = items.filter((item) => item.entity === "version" && item.stage === "Production").map((item) => item.version);
      expect(inProduction).toEqual([winner.version]);
      expect(items.find((item) => item.sk === "STAGE#Production")).toMatchObject({
        version: winner.version,
        snapshot: { version: winner.version, stage: "Production" },
      });
      const model = items.find((item) => item.sk === "MODEL") as { stages: { Production?: number; Staging?: number[] } };
      expect(model.stages.Production).toBe(winner.version);
      if (previousWinner !== null)
        expect(items.find((item) => item.version === previousWinner && item.entity === "version")).toMatchObject({ stage: "Archived" });

      // History replays to exactly the stages the version items hold.
      const replayed = replayStages(await historyOf(name));
      for (const version of items.filter((item) => item.entity === "version"))
        expect(replayed.get(version.version as number) ?? "None").toBe(version.stage);
      expect(
        [...replayed]
          .filter(([, stage]) => stage === "Staging")
          .map(([v]) => v)
          .sort((a, b) => a - b),
      ).toEqual(model.stages.Staging);

      previousWinner = winner.version;
    }
  }, 120_000);

  it("lets exactly one of 20 concurrent alias moves with expectedVersion win per round; the others get 409 AliasConflict", async () => {
    const name = uniqueModelName("fraud_detector");
    for (let v = 1; v <= 21; v++) await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://m/${v}` }), trainer);
    await setAlias(registry.deps, name, "champion", { version: 1 }, caller("setup"));
    let previous = 1;

    for (let round = 1; round <= ROUNDS; round++) {
      const targets = Array.from({ length: 21 }, (_, i) => i + 1)
        .filter((v) => v !== previous)
        .slice(0, 20);
      const outcomes = await race(
        20,
        async () => (await getModel(registry.deps, name)).aliases.champion ?? null,
        (i, seen) =>
          setAlias(
            registry.deps,
            name,
            "champion",
            { version: targets[i]!, expectedVersion: seen, reason: `round ${round}` },
            caller(`a${round}-${i}`),
          ),
      );

      const winners = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(winner).toMatchObject({ alias: "champion", previousVersion: previous });
      for (const o of outcomes.filter((o) => o.status === "rejected")) {
        expect(o.reason).toMatchObject({
          code: "AliasConflict",
          details: { alias: "champion", expected: previous, actual: winner.version },
        });
      }
      const items = await itemsOf(name);
      expect(items.filter((item) => item.entity === "alias")).toMatchObject([{ sk: "ALIAS#champion", version: winner.version }]);
      expect((items.find((item) => item.sk === "MODEL") as { aliases: Record<string, number> }).aliases).toEqual({
        champion: winner.version,
      });
      const moves = (await historyOf(name)).filter((h) => h.action === "ALIAS_CHANGED");
      expect(moves).toHaveLength(round + 1);
      expect(moves.at(-1)).toMatchObject({ alias: "champion", version: winner.version, previousVersion: previous });
      previous = winner.version as number;
    }
  }, 60_000);
});

describe("a policy edited while promotions run", () => {
  const allow: PromotionPolicy = policyBody.parse({ Production: { minMetrics: { auc: 0.5 } } });
  const forbid: PromotionPolicy = policyBody.parse({ Production: { minMetrics: { auc: 0.95 } } });

  it("never lets through a promotion that the policy in force when it committed forbids", async () => {
    const ITERATIONS = 12;
    const PROMOTERS = 3;
    const name = await modelInStaging(ITERATIONS * PROMOTERS + 1);
    await putPolicy(registry.deps, name, allow, caller("setup"));
    const outcomes: PromiseSettledResult<unknown>[] = [];

    for (let i = 0; i < ITERATIONS; i++) {
      const staging = (await getModel(registry.deps, name)).stages.Staging ?? [];
      const promotions = staging
        .slice(0, PROMOTERS)
        .map((v, j) =>
          transitionVersion(
            registry.deps,
            name,
            { number: v },
            transitionBody.parse({ to: "Production", reason: `iteration ${i}` }),
            caller(`p${i}-${j}`),
          ),
        );
      const edit = putPolicy(registry.deps, name, i % 2 === 0 ? forbid : allow, caller(`policy-${i}`));
      outcomes.push(...(await Promise.allSettled(promotions)));
      await edit;
    }

    // Replay the history: each promotion is checked against the policy revision in force at its sequence.
    let policy: PromotionPolicy | undefined;
    const promoted: number[] = [];
    for (const entry of await historyOf(name)) {
      if (entry.action === "POLICY_CHANGED") policy = (entry.changes as { to: PromotionPolicy }).to;
      if (entry.action === "STAGE_CHANGED" && entry.toStage === "Production") {
        const failures = evaluateGate("Production", policy?.Production, {
          from: entry.fromStage as "Staging",
          metrics: { auc: 0.9 },
          tags: {},
          createdBy: trainer.actor,
          approver: entry.actor as string,
        });
        expect(failures, `promotion of version ${entry.version} at sequence ${entry.sequence}`).toEqual([]);
        promoted.push(entry.version as number);
      }
    }
    const succeeded = outcomes.filter((o) => o.status === "fulfilled");
    const refusals = outcomes.flatMap((o) => (o.status === "rejected" ? [(o.reason as DomainError).code] : []));
    expect(promoted).toHaveLength(succeeded.length);
    expect(new Set(refusals)).toSatisfy((codes: Set<string>) =>
      [...codes].every((code) => code === "PolicyViolation" || code === "StageConflict"),
    );
    expect(succeeded.length).toBeGreaterThan(0);
    expect(refusals).toContain("PolicyViolation");
  }, 120_000);
});

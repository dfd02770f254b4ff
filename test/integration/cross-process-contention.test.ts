import { describe, expect, it } from "vitest";
import { createDynamoDbClient } from "../../shared/clients";
import { buildRegistryDeps } from "../../shared/composition";
import type { DomainError } from "../../shared/domain/errors";
import { transitionBody } from "../../shared/schemas/lifecycle";
import { registerVersionBody } from "../../shared/schemas/version";
import { createModel } from "../../shared/use-cases/create-model";
import { getModel } from "../../shared/use-cases/get-model";
import { registerVersion } from "../../shared/use-cases/register-version";
import { setAlias } from "../../shared/use-cases/set-alias";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";

const registry = useTestRegistry();
const ROUNDS = 4;
const WRITERS = 20;
const numbers = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

/** Each writer with a store of its own, as each concurrent Lambda request has a process of its own: nothing but the table orders them. */
async function eachInItsOwnProcess<T>(write: (deps: typeof registry.deps, i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const dynamodb = createDynamoDbClient(registry.config);
  const depsOf = () => ({ ...registry.deps, store: buildRegistryDeps(registry.config, dynamodb).store });
  return Promise.allSettled(numbers(WRITERS).map((i) => write(depsOf(), i))).finally(() => dynamodb.destroy());
}

const fulfilled = <T>(outcomes: PromiseSettledResult<T>[]) => outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
const rejected = <T>(outcomes: PromiseSettledResult<T>[]) => outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));

async function partitionOf(name: string) {
  const items = (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
  const history = items.filter((item) => item.entity === "history").map((item) => item.sequence as number);
  return {
    model: items.find((item) => item.sk === "MODEL")!,
    ticketsTaken: (items.find((item) => item.sk === "TURNS")?.taken as number | undefined) ?? 0,
    history: history.sort((a, b) => a - b),
  };
}

describe("changes of one model from separate processes, queued in the table after a first conflict", () => {
  it(`numbers ${WRITERS} concurrent registrations, stage moves and alias moves without gaps, round after round, and leaves the queue served`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const name = uniqueModelName("fraud_detector");
      const ci = roleCaller("ci-runner", `round-${round}`);
      await createModel(registry.deps, { name }, ci);

      const registered = await eachInItsOwnProcess((deps, i) =>
        registerVersion(deps, name, registerVersionBody.parse({ source: `s3://m/${i}`, params: { writer: i } }), ci),
      );
      expect(
        fulfilled(registered)
          .map((r) => r.version)
          .sort((a, b) => a - b),
      ).toEqual(numbers(WRITERS));
      // Each version holds the params of the request that got its number: no write was lost or crossed.
      for (const r of fulfilled(registered)) expect(r.source).toBe(`s3://m/${(r.params as { writer: number }).writer}`);

      const moved = await eachInItsOwnProcess((deps, i) =>
        transitionVersion(deps, name, { number: i }, transitionBody.parse({ to: "Staging", reason: "validated" }), ci),
      );
      const pointed = await eachInItsOwnProcess((deps, i) => setAlias(deps, name, `champion-${i}`, { version: i }, ci));
      expect([fulfilled(moved).length, fulfilled(pointed).length]).toEqual([WRITERS, WRITERS]);

      const { model, ticketsTaken, history } = await partitionOf(name);
      // One entry for the model's creation, then one per change: no gap, no duplicate.
      expect(history).toEqual(numbers(1 + 3 * WRITERS));
      expect(model).toMatchObject({ latestVersion: WRITERS, historySequence: 1 + 3 * WRITERS, revision: 1 + 3 * WRITERS });
      expect((model.stages as { Staging: number[] }).Staging.sort((a, b) => a - b)).toEqual(numbers(WRITERS));
      // The losers queued, and every queued change ended: the queue is served up to its last ticket, so nobody after them waits.
      expect(ticketsTaken).toBeGreaterThan(0);
      expect(model.turnsServed).toBe(ticketsTaken);
    }
  }, 180_000);

  it(`lets exactly one of ${WRITERS} concurrent promotions to Production win, round after round; the others get 409 StageConflict`, async () => {
    const name = uniqueModelName("fraud_detector");
    const ci = roleCaller("ci-runner", "setup");
    await createModel(registry.deps, { name }, ci);
    for (const version of numbers(WRITERS + ROUNDS)) {
      await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://m/model.tar.gz" }), ci);
      await transitionVersion(registry.deps, name, { number: version }, transitionBody.parse({ to: "Staging", reason: "validated" }), ci);
    }

    let inProduction: number | null = null;
    for (let round = 1; round <= ROUNDS; round++) {
      const candidates = ((await getModel(registry.deps, name)).stages.Staging ?? []).slice(0, WRITERS);
      const outcomes = await eachInItsOwnProcess((deps, i) =>
        transitionVersion(
          deps,
          name,
          { number: candidates[i - 1]! },
          transitionBody.parse({ to: "Production", reason: `round ${round}`, expectedCurrentVersion: inProduction }),
          roleCaller("deployer", `round-${round}-${i}`),
        ),
      );

      const winners = fulfilled(outcomes);
      expect(winners).toHaveLength(1);
      const losers = rejected(outcomes) as DomainError[];
      expect(losers.map((l) => l.code)).toEqual(Array(WRITERS - 1).fill("StageConflict"));
      inProduction = winners[0]!.version;
      const { model, ticketsTaken } = await partitionOf(name);
      expect(model.stages).toMatchObject({ Production: inProduction });
      expect(model.turnsServed ?? 0).toBe(ticketsTaken);
    }
  }, 180_000);
});

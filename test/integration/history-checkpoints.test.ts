import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry, type TestRegistry } from "../support/registry";
import { createDocumentClient } from "../../shared/clients";
import { DomainError } from "../../shared/domain/errors";
import { replayPointers } from "../../shared/domain/history-replay";
import { ASSIGNED_STAGES } from "../../shared/domain/model-uri";
import { RegistryStore } from "../../shared/store/registry-store";
import type { HistoryItem } from "../../shared/store/entities/history";
import { Listings } from "../../shared/store/listings";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { setAlias } from "../../shared/use-cases/set-alias";
import { deleteAlias } from "../../shared/use-cases/delete-alias";
import { stagesAt } from "../../shared/use-cases/stages-at";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";

const INTERVAL = 5;
const ci = roleCaller("ci-runner", "req-1");
const registry = useTestRegistry();

/** A store whose clock moves one second each time a change reads it, so every commit has its own instant. */
function tickingDeps(): TestRegistry["deps"] {
  let tick = 0;
  return depsWithClock(() => new Date(Date.UTC(2024, 2, 1) + 1_000 * ++tick));
}

/** The use cases' dependencies as a process whose clock reads `clock` has them. */
function depsWithClock(clock: () => Date): TestRegistry["deps"] {
  const store = new RegistryStore(createDocumentClient(registry.config), registry.config.tableName, clock, randomUUID, {
    checkpointInterval: INTERVAL,
  });
  const listings = new Listings(createDocumentClient(registry.config), registry.config.tableName, INTERVAL);
  return { ...registry.deps, store, listings };
}

const version = fc.integer({ min: 1, max: 8 });
const alias = fc.constantFrom("champion", "challenger");
const change = fc.oneof(
  fc.record({ kind: fc.constant("register" as const) }),
  { arbitrary: fc.record({ kind: fc.constant("move" as const), version, to: fc.constantFrom(...ASSIGNED_STAGES) }), weight: 4 },
  fc.record({ kind: fc.constant("rollback" as const) }),
  { arbitrary: fc.record({ kind: fc.constant("setAlias" as const), alias, version }), weight: 2 },
  fc.record({ kind: fc.constant("deleteAlias" as const), alias }),
);
type Change = typeof change extends fc.Arbitrary<infer C> ? C : never;

/** Applies one change through its use case; a refusal (moving a missing version, a stage it is in) is a change that did not happen. */
async function apply(deps: TestRegistry["deps"], name: string, c: Change): Promise<void> {
  const attempts = {
    register: () => registerVersion(deps, name, registerVersionBody.parse({ source: "s3://training/model.tar.gz" }), ci),
    move: () =>
      c.kind === "move" &&
      transitionVersion(deps, name, { number: c.version }, transitionBody.parse({ to: c.to, reason: "generated" }), ci),
    rollback: () => rollbackProduction(deps, name, { reason: "generated" }, ci),
    setAlias: () => c.kind === "setAlias" && setAlias(deps, name, c.alias, { version: c.version }, ci),
    deleteAlias: () => c.kind === "deleteAlias" && deleteAlias(deps, name, c.alias, ci),
  };
  try {
    await attempts[c.kind]();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
}

/** 3 entries (created, two registrations) and 40 alias moves on a ticking clock: checkpoints follow entries 5, 10, … 40. */
async function aliasMovedEightIntervals(): Promise<{ deps: TestRegistry["deps"]; name: string }> {
  const deps = tickingDeps();
  const name = uniqueModelName("ranker");
  await apply(deps, name, { kind: "register" });
  await apply(deps, name, { kind: "register" });
  for (let i = 0; i < 8 * INTERVAL; i++) await apply(deps, name, { kind: "setAlias", alias: "champion", version: 1 + (i % 2) });
  return { deps, name };
}

/** The answer from the whole history, oldest first, with no checkpoint. */
const fullReplay = (history: HistoryItem[], instant: string) => ({
  time: instant,
  ...replayPointers(history.filter((entry) => entry.occurredAt <= instant)),
});

/** The last entry of each commit (its entries share one instant) that passes a multiple of the interval. */
function dueCheckpoints(history: HistoryItem[]): number[] {
  const lastOfCommit = history.filter((entry, i) => history[i + 1]?.occurredAt !== entry.occurredAt);
  return lastOfCommit
    .filter((entry, i) => Math.floor(entry.sequence / INTERVAL) > Math.floor((lastOfCommit[i - 1]?.sequence ?? 0) / INTERVAL))
    .map((entry) => entry.sequence);
}

const shifted = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();

describe("history/at with checkpoints", () => {
  it("answers as a replay of the whole history at random instants, at checkpoints, before the first and after the last", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { minLength: 40, maxLength: 60 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 10 }),
        async (changes, fractions) => {
          const deps = tickingDeps();
          const name = uniqueModelName("ranker");
          for (const c of [{ kind: "register" as const }, { kind: "register" as const }, ...changes]) await apply(deps, name, c);
          const history: HistoryItem[] = [];
          for await (const entry of deps.listings.historyOldestFirst(name)) history.push(entry);
          const checkpoints = (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "checkpoint");
          const checkpointTimes = checkpoints.map((item) => item.occurredAt as string);
          const [first, last] = [history[0]!.occurredAt, history.at(-1)!.occurredAt];
          const span = Date.parse(last) - Date.parse(first);
          const instants = [
            first,
            shifted(checkpointTimes[0]!, -1),
            ...checkpointTimes,
            ...checkpointTimes.map((time) => shifted(time, 500)),
            ...fractions.map((f) => shifted(first, Math.round(f * span))),
            shifted(last, 60_000),
          ];

          expect(checkpoints.map((item) => item.sequence)).toEqual(dueCheckpoints(history));
          for (const instant of instants) expect(await stagesAt(deps, name, instant)).toEqual(fullReplay(history, instant));
        },
      ),
      // No shrinking: replaying a 60-change history many times over would outlast the timeout; the counterexample shows as found.
      { numRuns: 3, endOnFailure: true },
    );
  }, 120_000);

  it("replays only the entries after the newest checkpoint", async () => {
    const { deps, name } = await aliasMovedEightIntervals();
    const read = vi.spyOn(deps.listings, "historyOldestFirst");

    const answer = await stagesAt(deps, name, "2030-01-01T00:00:00.000Z");

    expect(answer.aliases).toEqual({ champion: 2 });
    expect(read).toHaveBeenCalledWith(name, 40, undefined); // no checkpoint after it: to the end
  });

  it("reads history no further than the oldest checkpoint after the instant", async () => {
    const { deps, name } = await aliasMovedEightIntervals();
    const history: HistoryItem[] = [];
    for await (const entry of deps.listings.historyOldestFirst(name)) history.push(entry);
    const dynamo = createDocumentClient(registry.config);
    const send = vi.spyOn(dynamo, "send");
    const listings = new Listings(dynamo, registry.config.tableName, INTERVAL);
    const instant = history[16]!.occurredAt; // entry 17: checkpoints follow entries 15 and 20

    const answer = await stagesAt({ ...deps, listings }, name, instant);

    const read = await Promise.all(send.mock.results.map((result) => result.value as Promise<{ Items?: { sk: string }[] }>));
    const historyRead = read.flatMap(({ Items }) => Items ?? []).filter((item) => item.sk.startsWith("HISTORY#"));
    expect(answer).toEqual(fullReplay(history, instant));
    expect(historyRead.map((item) => item.sk)).toEqual(history.slice(15, 20).map((entry) => entry.sk));
  });

  it("stamps a commit no earlier than the one before it, so the instant of its entry includes it whatever the committing clock says", async () => {
    const ahead = depsWithClock(() => new Date("2024-03-01T00:00:10.000Z"));
    const behind = depsWithClock(() => new Date("2024-03-01T00:00:05.000Z"));
    const name = uniqueModelName("ranker");
    await apply(ahead, name, { kind: "register" });

    await apply(behind, name, { kind: "setAlias", alias: "champion", version: 1 });

    const history: HistoryItem[] = [];
    for await (const entry of behind.listings.historyOldestFirst(name)) history.push(entry);
    const aliasMove = history.at(-1);
    expect(aliasMove).toMatchObject({ action: "ALIAS_CHANGED", occurredAt: "2024-03-01T00:00:10.000Z" });
    expect((await stagesAt(behind, name, aliasMove?.occurredAt ?? "")).aliases).toEqual({ champion: 1 });
  });
});

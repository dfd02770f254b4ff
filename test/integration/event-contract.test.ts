import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as z from "../../shared/zod";
import { roleCaller } from "../support/fixtures";
import { uniqueModelName, useTestRegistry } from "../support/registry";
import { DomainError } from "../../shared/domain/errors";
import { ASSIGNED_STAGES } from "../../shared/domain/model-uri";
import { STAGES } from "../../shared/domain/lifecycle";
import { deleteRegisteredModelAlias, setRegisteredModelAlias, transitionModelVersionStage } from "../../shared/mlflow/registry";
import { EVENT_SOURCE, modelEventDetail, toModelEvent } from "../../shared/events/model-events";
import { registerVersion } from "../../shared/use-cases/register-version";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { setAlias } from "../../shared/use-cases/set-alias";
import { deleteAlias } from "../../shared/use-cases/delete-alias";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";

/**
 * The event contract (docs/events.md, docs/events.schema.json) over random sequences of changes:
 * each change's history entries, turned into events as the publisher turns them, are valid, say
 * the before and after that reads of the registry show, and announce each stage or alias move once.
 */

const admin = roleCaller("admin", "req-contract");
const registry = useTestRegistry();
const VERSIONS = 6;

const schema = JSON.parse(readFileSync(new URL("../../docs/events.schema.json", import.meta.url), "utf8")) as {
  properties: { "detail-type": { enum: string[] } };
  allOf: { if: { properties: { "detail-type": { const: string } } }; then: { properties: { detail: { required: string[] } } } }[];
};
const requiredOf = (detailType: string) =>
  schema.allOf.find((rule) => rule.if.properties["detail-type"].const === detailType)?.then.properties.detail.required ?? [];
const strictDetail = z.catchall(modelEventDetail, z.never());

const version = fc.integer({ min: 1, max: VERSIONS });
const alias = fc.constantFrom("champion", "challenger");
const change = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("move" as const),
      version,
      to: fc.constantFrom(...ASSIGNED_STAGES),
      archiveExisting: fc.boolean(),
    }),
    weight: 5,
  },
  fc.record({ kind: fc.constant("rollback" as const) }),
  { arbitrary: fc.record({ kind: fc.constant("setAlias" as const), alias, version }), weight: 2 },
  fc.record({ kind: fc.constant("deleteAlias" as const), alias }),
  // The MLflow-compatible routes make the same changes through their own use cases.
  {
    arbitrary: fc.record({
      kind: fc.constant("mlflowMove" as const),
      version,
      to: fc.constantFrom(...STAGES),
      archiveExisting: fc.boolean(),
    }),
    weight: 3,
  },
  fc.record({ kind: fc.constant("mlflowSetAlias" as const), alias, version }),
  fc.record({ kind: fc.constant("mlflowDeleteAlias" as const), alias }),
);
type Change = typeof change extends fc.Arbitrary<infer C> ? C : never;

async function apply(name: string, c: Change): Promise<void> {
  const deps = registry.deps;
  const attempts = {
    move: () =>
      c.kind === "move" &&
      transitionVersion(
        deps,
        name,
        { number: c.version },
        transitionBody.parse({ to: c.to, reason: "generated", archiveExisting: c.archiveExisting && c.to === "Staging" }),
        admin,
      ),
    rollback: () => rollbackProduction(deps, name, { reason: "generated" }, admin),
    setAlias: () => c.kind === "setAlias" && setAlias(deps, name, c.alias, { version: c.version }, admin),
    deleteAlias: () => c.kind === "deleteAlias" && deleteAlias(deps, name, c.alias, admin),
    mlflowMove: () =>
      c.kind === "mlflowMove" &&
      transitionModelVersionStage(deps, { name, version: c.version, stage: c.to, archive_existing_versions: c.archiveExisting }, admin),
    mlflowSetAlias: () => c.kind === "mlflowSetAlias" && setRegisteredModelAlias(deps, { name, alias: c.alias, version: c.version }, admin),
    mlflowDeleteAlias: () => c.kind === "mlflowDeleteAlias" && deleteRegisteredModelAlias(deps, { name, alias: c.alias }, admin),
  };
  try {
    await attempts[c.kind]();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
  }
}

/** Each version's stage, each alias's target and Production's occupant, as reads show them. */
async function snapshot(name: string) {
  const model = await registry.deps.store.getModel(name);
  const stages = new Map<number, string>();
  for (let v = 1; v <= VERSIONS; v++) stages.set(v, (await registry.deps.store.getVersion(name, v))?.stage ?? "missing");
  return { stages, aliases: { ...(model?.aliases ?? {}) } as Record<string, number>, production: model?.stages.Production };
}

/** The model's history items as the stream hands them to the publisher, oldest first. */
async function historyItems(name: string): Promise<Record<string, unknown>[]> {
  const items = (await registry.items()).filter((item) => item.pk === `MODEL#${name}` && item.entity === "history");
  return items.sort((a, b) => (a.sequence as number) - (b.sequence as number));
}

function eventsOf(items: Record<string, unknown>[]) {
  return items.flatMap((item) => {
    const entry = toModelEvent(item, "model-registry-test");
    return entry ? [{ type: entry.DetailType as string, source: entry.Source, detail: JSON.parse(entry.Detail as string) }] : [];
  });
}

describe("the event contract over random changes", () => {
  it("announces each stage and alias move once, valid and with the before and after reads show", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 20, maxLength: 40 }), async (changes) => {
        const name = uniqueModelName("contract");
        for (let i = 0; i < VERSIONS; i++)
          await registerVersion(registry.deps, name, registerVersionBody.parse({ source: "s3://training/model.tar.gz" }), admin);
        for (const c of changes) {
          const before = await snapshot(name);
          const seen = (await historyItems(name)).length;
          await apply(name, c);
          const after = await snapshot(name);
          const events = eventsOf((await historyItems(name)).slice(seen));

          for (const event of events) {
            expect(schema.properties["detail-type"].enum).toContain(event.type);
            expect(event.source).toBe(EVENT_SOURCE);
            expect(() => strictDetail.parse(event.detail)).not.toThrow();
            for (const field of requiredOf(event.type)) expect(event.detail, `${event.type} ${field}`).toHaveProperty(field);
          }
          const moves = events.filter((e) => e.type === "Model Version Stage Changed");
          const moved = [...before.stages].filter(([v, stage]) => after.stages.get(v) !== stage).map(([v]) => v);
          expect(moves.map((e) => e.detail.version).sort()).toEqual(moved.sort());
          for (const { detail } of moves) {
            expect([detail.fromStage, detail.toStage]).toEqual([before.stages.get(detail.version), after.stages.get(detail.version)]);
            const intoProduction = detail.toStage === "Production" && before.production !== undefined;
            expect(detail.previousVersion).toBe(intoProduction ? before.production : undefined);
          }
          const aliasEvents = events.filter((e) => e.type === "Model Alias Changed");
          // Setting an alias to the version it names already is no change, and is not announced (docs/events.md).
          const changedAliases = ["champion", "challenger"].filter((a) => before.aliases[a] !== after.aliases[a]);
          expect(aliasEvents.map((e) => e.detail.alias).sort()).toEqual(changedAliases.sort());
          for (const { detail } of aliasEvents) {
            expect(detail.previousVersion).toBe(before.aliases[detail.alias]);
            expect(detail.version).toBe(after.aliases[detail.alias]);
          }
          expect(events.length).toBe(moves.length + aliasEvents.length);
        }
      }),
      { numRuns: 4, endOnFailure: true },
    );
  }, 240_000);
});

import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../../shared/domain/error-code";
import { HTTP_STATUS_BY_CODE } from "../../shared/http/error-mapper";
import { roleCaller } from "../support/fixtures";
import { useTestRegistry, uniqueModelName } from "../support/registry";
import { DomainError, StageConflictError } from "../../shared/domain/errors";
import { registerVersion } from "../../shared/use-cases/register-version";
import { rollbackProduction } from "../../shared/use-cases/rollback-production";
import { transitionVersion } from "../../shared/use-cases/transition-version";
import { registerVersionBody } from "../../shared/schemas/version";
import { transitionBody } from "../../shared/schemas/lifecycle";
import type { PromotionDeps } from "../../shared/use-cases/deps";
import type { PromotionReads } from "../../shared/store/promotion-reads";

/** A rollback is the incident path: it must hold up while others promote at the same moment. */
const caller = (requestId: string) => roleCaller(`release-${requestId}`, requestId);

const registry = useTestRegistry();

const move = (deps: PromotionDeps, name: string, version: number, to: "Staging" | "Production", expectedCurrentVersion?: number | null) =>
  transitionVersion(
    deps,
    name,
    { number: version },
    transitionBody.parse({ to, reason: "race", ...(expectedCurrentVersion === undefined ? {} : { expectedCurrentVersion }) }),
    caller(`move-${version}`),
  );

/** Versions 1..count registered and in Staging, 1 then 2 promoted: Production holds 2, version 1 is Archived, 3.. wait in Staging. */
async function modelWithHistory(count: number): Promise<string> {
  const name = uniqueModelName("fraud_detector");
  for (let v = 1; v <= count; v++) {
    await registerVersion(registry.deps, name, registerVersionBody.parse({ source: `s3://m/${v}` }), caller("train"));
    await move(registry.deps, name, v, "Staging");
  }
  await move(registry.deps, name, 1, "Production", null);
  await move(registry.deps, name, 2, "Production", 1);
  return name;
}

/** What the table holds for the model: the pointer, the model's stage map and the version items all name the same occupant. */
async function productionOf(name: string): Promise<number | null> {
  const items = (await registry.items()).filter((item) => item.pk === `MODEL#${name}`);
  const model = items.find((item) => item.entity === "model") as { stages: { Production?: number } };
  const pointer = items.find((item) => item.sk === "STAGE#Production") as { version: number } | undefined;
  const inProduction = items.filter((item) => item.entity === "version" && item.stage === "Production").map((item) => item.version);
  expect(inProduction).toEqual(pointer ? [pointer.version] : []);
  expect(model.stages.Production ?? null).toBe(pointer?.version ?? null);
  return pointer?.version ?? null;
}

describe("rollback racing a promotion", () => {
  it("answers 409 StageConflict, not a 500, when a promotion commits between its read of the model and of the history", async () => {
    const name = await modelWithHistory(3);
    let promoted = false;
    // The promotion of 3 over 2 commits right after the rollback read the model, before it reads the history.
    const promotionReads = Object.assign(Object.create(registry.deps.promotionReads) as PromotionReads, {
      latestMoveInto: async (...args: Parameters<PromotionReads["latestMoveInto"]>) => {
        if (!promoted) {
          promoted = true;
          await move(registry.deps, name, 3, "Production", 2);
        }
        return registry.deps.promotionReads.latestMoveInto(...args);
      },
    });

    const outcome = await rollbackProduction({ ...registry.deps, promotionReads }, name, { reason: "incident" }, caller("rollback")).catch(
      (error: unknown) => error,
    );

    expect(outcome).toBeInstanceOf(StageConflictError);
    expect(outcome).toMatchObject({ details: { expected: 2, actual: 3 } });
    expect(await productionOf(name)).toBe(3);
  });

  it("ends every one of 25 rounds of a rollback raced against a promotion with a 2xx or a 409, and one consistent occupant", async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 25; round++) {
      const name = await modelWithHistory(3);

      const settled = await Promise.allSettled([
        rollbackProduction(registry.deps, name, { reason: "incident" }, caller("rollback")),
        move(registry.deps, name, 3, "Production", 2),
      ]);

      for (const result of settled) {
        if (result.status === "fulfilled") outcomes.push("ok");
        else {
          expect(result.reason, `round ${round}: ${String(result.reason)}`).toBeInstanceOf(DomainError);
          expect(HTTP_STATUS_BY_CODE[(result.reason as DomainError).code as ErrorCode]).toBe(409);
          outcomes.push((result.reason as DomainError).code);
        }
      }
      expect([1, 3]).toContain(await productionOf(name));
    }
    expect(outcomes).toContain("ok");
  }, 120_000);
});

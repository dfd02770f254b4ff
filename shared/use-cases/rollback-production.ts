import { ModelNotFoundError, NothingToRollBackError, StageConflictError } from "../domain/errors";
import { expectation, type StageMove } from "../domain/lifecycle";
import type { ModelItem } from "../store/entities/model";
import type { VersionItem } from "../store/entities/version";
import type { HistoryItem } from "../store/entities/history";
import type { PromotionReads } from "../store/promotion-reads";
import type { TransitionView } from "../schemas/lifecycle";
import type { Actor, PromotionDeps } from "./deps";
import { explainMoveConflict, planMoves } from "./stage-moves";

/**
 * Puts back the version that was in Production before the current one (docs/lifecycle.md, "Stages").
 * 1. read the model; Production's occupant is pinned at the first read (changed later → StageConflict);
 * 2. find the target in history as of that read (entries up to its history sequence, so a change
 *    committed since cannot make the target the occupant): the newest move into Production names the
 *    version it replaced; with Production empty, the target is the version that held it last. None →
 *    409 NothingToRollBack;
 * 3. the target must be Archived (else 409 NothingToRollBack saying where it is now);
 * 4. one transaction: target Archived → Production, the occupant → Archived, the pointer, the stage
 *    map, two STAGE_CHANGED entries. A second rollback therefore undoes the first. The answer has a
 *    transition's shape: the restored version, Archived → Production, and the version it archived.
 * The promotion policy is not applied: the target held Production before, and this is the way back
 * during an incident (it needs the promoter role and leaves a reason in the history).
 */
export async function rollbackProduction(
  deps: PromotionDeps,
  name: string,
  input: { reason: string },
  who: Actor,
): Promise<TransitionView> {
  const production = expectation(undefined, (expected, actual) => new StageConflictError(name, expected, actual));
  const outcome = await deps.store.changeOrConflict(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const occupant = production(current.stages.Production ?? null);
    const target = await rollbackTarget(deps, current, occupant);
    const moves: StageMove[] = [{ version: target.version, from: "Archived", to: "Production" }];
    if (occupant !== null) moves.push({ version: occupant, from: "Production", to: "Archived" });
    const plan = planMoves(current, target, moves, { occupant, reason: input.reason, now });
    const archived = occupant === null ? [] : [occupant];
    return { ...plan, result: (): TransitionView => ({ version: target.version, from: "Archived", to: "Production", archived }) };
  });
  if ("conflict" in outcome) throw await explainMoveConflict(deps, name, outcome.conflict);
  return outcome.answer;
}

/**
 * What a rollback of Production would put back as `model` stands: the newest move into Production
 * (as of the model's history sequence) and the version it names, Production's previous occupant or,
 * with Production emptied, its last one (undefined: none).
 */
export async function rollbackSource(reads: PromotionReads, model: ModelItem): Promise<{ last?: HistoryItem; version?: number }> {
  const last = await reads.latestMoveInto(model.name, "Production", model.historySequence);
  return { last, version: model.stages.Production === undefined ? last?.version : last?.previousVersion };
}

async function rollbackTarget(deps: PromotionDeps, current: ModelItem, occupant: number | null): Promise<VersionItem> {
  const name = current.name;
  const { last, version: number } = await rollbackSource(deps.promotionReads, current);
  if (last?.version === undefined)
    throw new NothingToRollBackError(`'${name}' has never had a version in Production: there is nothing to roll back to.`, {
      current: occupant,
    });
  if (number === undefined) {
    throw new NothingToRollBackError(
      `Version ${occupant} of '${name}' entered Production when it held no version: it replaced none, so there is none to roll back to. ` +
        `Move an earlier version back through Staging with POST /models/${name}/versions/{v}/transitions.`,
      { current: occupant },
    );
  }
  const target = await deps.store.getVersion(name, number);
  if (!target)
    throw new NothingToRollBackError(`Version ${number} of '${name}', in Production before, has been deleted.`, {
      current: occupant,
      target: number,
    });
  if (target.stage !== "Archived") {
    throw new NothingToRollBackError(
      `Version ${number} of '${name}', in Production before, is now in ${target.stage}, not Archived: ` +
        `move it with POST /models/${name}/versions/${number}/transitions instead.`,
      { current: occupant, target: number, targetStage: target.stage },
    );
  }
  return target;
}

import {
  ModelNotFoundError,
  NothingToRollBackError,
  StageConflictError,
  TransitionNotAllowedError,
  VersionNotFoundError,
  VersionNotReadyError,
  type DomainError,
} from "../domain/errors";
import { applyMoves, assertMoveAllowed, expectation, type StageMove } from "../domain/lifecycle";
import { requireRole, type Caller } from "../domain/permissions";
import type { HistoryDraft } from "../store/entities/history";
import type { ModelItem } from "../store/entities/model";
import { newProductionPointer, productionPointerKey } from "../store/entities/stage-pointer";
import { stageIndexKey, toVersionView, versionKey, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { TransitionInput, TransitionView } from "../schemas/lifecycle";
import type { Stage, VersionSelector, VersionView } from "../schemas/version";
import type { Actor, RegistryDeps } from "./deps";
import { enforcePolicy } from "./policy";
import { requireVersion } from "./versions";

/** Each version a move archives costs an update and a history entry; a transaction holds 100 items. */
const MAX_ARCHIVED_PER_MOVE = 45;

/**
 * Moves a version to another stage (SPEC §2, §3) in one transaction.
 * 1. `to: Archived` needs the admin role; resolve `{v}` and note the stage it is in;
 * 2. read the model; when the move touches Production (or the caller names an
 *    expectedCurrentVersion), Production must hold what the caller expects, else what the first
 *    read saw: a re-plan after contention compares against that, so a stale caller gets 409
 *    StageConflict instead of promoting over someone else's promotion;
 * 3. the version must still be where it was, the state machine must allow the move, a version
 *    leaving None must be READY, and the policy's gate for the target stage must pass (422);
 * 4. write the version, the Production pointer, the versions the move displaces (the previous
 *    occupant, or Staging with archiveExisting) → Archived, the model's stage map, one
 *    STAGE_CHANGED entry per moved version and a ConditionCheck on the policy revision.
 */
export async function transitionVersion(deps: RegistryDeps, name: string, selector: VersionSelector, input: TransitionInput, who: Caller): Promise<TransitionView> {
  if (input.to === "Archived") requireRole(who, "admin", "Archiving a version");
  if (input.archiveExisting) requireRole(who, "admin", "Archiving the versions in Staging (archiveExisting)");
  const first = await requireVersion(deps, name, selector);
  const number = first.version;
  const from = first.stage;
  const production = expectation(input.expectedCurrentVersion, (expected, actual) => new StageConflictError(name, expected, actual));

  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const occupant = current.stages.Production ?? null;
    if (from === "Production" || input.to === "Production" || input.expectedCurrentVersion !== undefined) production(occupant);
    const version = await deps.store.getVersion(name, number);
    if (!version) throw new VersionNotFoundError(name, number);
    if (version.stage !== from) throw movedMeanwhile(name, number, from, version.stage);
    assertMoveAllowed(name, number, from, input.to);
    if (version.status !== "READY") throw new VersionNotReadyError(name, number, version.status);
    const policyCheck = await enforcePolicy(deps, version, { from, to: input.to }, who);

    const moves = [{ version: number, from, to: input.to }, ...displacedBy(name, current, { from, to: input.to }, input.archiveExisting)];
    const plan = planMoves(deps, current, version, moves, { occupant, reason: input.reason, now });
    return {
      ...plan,
      writes: [...plan.writes, ...policyCheck],
      result: () => ({ version: number, from, to: input.to, archived: moves.slice(1).map((m) => m.version) }),
    };
  });
}

/**
 * Puts back the version that was in Production before the current one (SPEC §3).
 * 1. read the model; Production's occupant is pinned at the first read (changed later → StageConflict);
 * 2. find the target in history as of that read (entries up to its history sequence, so a change
 *    committed since cannot make the target the occupant): the newest move into Production names the
 *    version it replaced; with Production empty, the target is the version that held it last. None →
 *    409 NothingToRollBack;
 * 3. the target must be Archived (else 409 NothingToRollBack saying where it is now);
 * 4. one transaction: target Archived → Production, the occupant → Archived, the pointer, the stage
 *    map, two STAGE_CHANGED entries. A second rollback therefore undoes the first.
 * The promotion policy is not applied: the target held Production before, and this is the way back
 * during an incident (it needs the promoter role and leaves a reason in the history).
 */
export async function rollbackProduction(deps: RegistryDeps, name: string, input: { reason: string }, who: Actor): Promise<VersionView> {
  const production = expectation(undefined, (expected, actual) => new StageConflictError(name, expected, actual));
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const occupant = production(current.stages.Production ?? null);
    const target = await rollbackTarget(deps, current, occupant);
    const moves: StageMove[] = [{ version: target.version, from: "Archived", to: "Production" }];
    if (occupant !== null) moves.push({ version: occupant, from: "Production", to: "Archived" });
    const plan = planMoves(deps, current, target, moves, { occupant, reason: input.reason, now });
    return { ...plan, result: () => toVersionView(moved(target, "Production", now)) };
  });
}

/** What a move sends to Archived alongside it: Production's previous occupant, or (archiveExisting) the versions in Staging. */
function displacedBy(name: string, current: ModelItem, move: { from: Stage; to: Stage }, archiveExisting: boolean): StageMove[] {
  if (move.to === "Production") {
    const occupant = current.stages.Production;
    return occupant === undefined ? [] : [{ version: occupant, from: "Production", to: "Archived" }];
  }
  if (move.to !== "Staging" || !archiveExisting) return [];
  const staging = current.stages.Staging ?? [];
  if (staging.length > MAX_ARCHIVED_PER_MOVE) {
    throw new TransitionNotAllowedError(`Staging of '${name}' holds ${staging.length} versions; one move archives at most ${MAX_ARCHIVED_PER_MOVE}. Archive some of them first (to: Archived).`, {
      staging: staging.length,
      limit: MAX_ARCHIVED_PER_MOVE,
    });
  }
  return staging.map((version) => ({ version, from: "Staging" as const, to: "Archived" as const }));
}

/**
 * The transaction of moves made together: `moves[0]` is the version the caller moves (`item`),
 * the rest are versions it displaces from their stage to Archived. Production's occupant was `occupant`.
 */
function planMoves(
  deps: RegistryDeps,
  current: ModelItem,
  item: VersionItem,
  moves: readonly StageMove[],
  context: { occupant: number | null; reason: string; now: string },
): { model: ModelItem; writes: GuardedWrite[]; history: HistoryDraft[] } {
  const [main] = moves as [StageMove, ...StageMove[]];
  const name = current.name;
  const history: HistoryDraft[] = moves.map((m, i) => ({
    action: "STAGE_CHANGED",
    version: m.version,
    fromStage: m.from,
    toStage: m.to,
    ...(i === 0 && m.to === "Production" && context.occupant !== null ? { previousVersion: context.occupant } : {}),
    reason: context.reason,
  }));
  const writes: GuardedWrite[] = [
    ...moves.map((m, i) => moveWrite(deps, name, m, context.now, i > 0 && m.from === "Production" ? () => productionConflict(deps, name, m.version) : () => explainVersion(deps, name, m))),
    ...pointerWrites(deps, name, main, moved(item, main.to, context.now), context.occupant),
  ];
  return { model: { ...current, stages: applyMoves(current.stages, moves) }, writes, history };
}

function moved(item: VersionItem, to: Stage, now: string): VersionItem {
  const { gsi1pk: _pk, gsi1sk: _sk, ...rest } = item;
  return { ...rest, ...stageIndexKey(item.model, item.version, to), stage: to, updatedAt: now };
}

function moveWrite(deps: RegistryDeps, name: string, move: StageMove, now: string, onConflict: () => Promise<DomainError>): GuardedWrite {
  const index = stageIndexKey(name, move.version, move.to);
  return {
    write: {
      Update: {
        TableName: deps.store.tableName,
        Key: versionKey(name, move.version),
        UpdateExpression: "SET #stage = :to, updatedAt = :now, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk",
        // Invariant: a version moves only from the stage the move was planned from, and only once READY.
        ConditionExpression: "#stage = :from AND #status = :ready",
        ExpressionAttributeNames: { "#stage": "stage", "#status": "status" },
        ExpressionAttributeValues: { ":to": move.to, ":from": move.from, ":ready": "READY", ":now": now, ":gsi1pk": index.gsi1pk, ":gsi1sk": index.gsi1sk },
      },
    },
    onConflict,
  };
}

/** The Production pointer follows the main move: it names the new occupant, or goes when the occupant leaves. */
function pointerWrites(deps: RegistryDeps, name: string, main: StageMove, item: VersionItem, occupant: number | null): GuardedWrite[] {
  const onConflict = () => productionConflict(deps, name, main.to === "Production" ? occupant : main.version);
  if (main.to === "Production") {
    // Invariant: Production holds one version, and only the one the caller saw is replaced.
    const condition =
      occupant === null ? { ConditionExpression: "attribute_not_exists(pk)" } : { ConditionExpression: "version = :occupant", ExpressionAttributeValues: { ":occupant": occupant } };
    return [{ write: { Put: { TableName: deps.store.tableName, Item: newProductionPointer(toVersionView(item)), ...condition } }, onConflict }];
  }
  if (main.from !== "Production") return [];
  return [
    {
      write: {
        Delete: { TableName: deps.store.tableName, Key: productionPointerKey(name), ConditionExpression: "version = :leaving", ExpressionAttributeValues: { ":leaving": main.version } },
      },
      onConflict,
    },
  ];
}

async function rollbackTarget(deps: RegistryDeps, current: ModelItem, occupant: number | null): Promise<VersionItem> {
  const name = current.name;
  const last = await deps.store.latestMoveInto(name, "Production", current.historySequence);
  if (last?.version === undefined) throw new NothingToRollBackError(`'${name}' has never had a version in Production: there is nothing to roll back to.`, { current: occupant });
  const number = occupant === null ? last.version : last.previousVersion;
  if (number === undefined) {
    throw new NothingToRollBackError(`Version ${occupant} is the first version of '${name}' in Production: there is no earlier one to roll back to.`, { current: occupant });
  }
  const target = await deps.store.getVersion(name, number);
  if (!target) throw new NothingToRollBackError(`Version ${number} of '${name}', in Production before, has been deleted.`, { current: occupant, target: number });
  if (target.stage !== "Archived") {
    throw new NothingToRollBackError(
      `Version ${number} of '${name}', in Production before, is now in ${target.stage}, not Archived: move it with POST /models/${name}/versions/${number}/transitions instead.`,
      { current: occupant, target: number, targetStage: target.stage },
    );
  }
  return target;
}

function movedMeanwhile(name: string, version: number, expected: Stage, actual: Stage): DomainError {
  return new TransitionNotAllowedError(`Version ${version} of '${name}' was in ${expected} when this request started and is now in ${actual}: another change moved it. Look again and retry.`, {
    version,
    expected,
    actual,
  });
}

/** A version's move condition failed: say what the version is now. */
async function explainVersion(deps: RegistryDeps, name: string, move: StageMove): Promise<DomainError> {
  const now = await deps.store.getVersion(name, move.version);
  if (!now) return new VersionNotFoundError(name, move.version);
  if (now.status !== "READY") return new VersionNotReadyError(name, move.version, now.status);
  return movedMeanwhile(name, move.version, move.from, now.stage);
}

/** Production's occupant is not the one the move was conditioned on: say who is there now. */
async function productionConflict(deps: RegistryDeps, name: string, expected: number | null): Promise<DomainError> {
  const pointer = await deps.store.getProductionPointer(name);
  return new StageConflictError(name, expected, pointer?.version ?? null);
}

import {
  ModelNotFoundError,
  StageConflictError,
  TransitionNotAllowedError,
  ValidationError,
  VersionNotFoundError,
  VersionNotReadyError,
} from "../domain/errors";
import { assertMoveAllowed, expectation, type Stage, type StageMove } from "../domain/lifecycle";
import { requireRole, type Caller } from "../domain/permissions";
import type { ModelItem } from "../store/entities/model";
import type { TransitionInput, TransitionView } from "../schemas/lifecycle";
import type { VersionSelector } from "../schemas/version";
import type { PromotionDeps } from "./deps";
import { enforcePolicy } from "./enforce-policy";
import { requireVersion } from "./resolve";
import { explainMoveConflict, movedMeanwhile, planMoves } from "./stage-moves";

/** Each version a move archives costs an update and a history entry; a transaction holds 100 items. */
const MAX_ARCHIVED_PER_MOVE = 45;

/**
 * The versions Staging holds at most. The model item, which every change of the model rewrites, lists
 * them all: about 84,000 made it exceed DynamoDB's 400 KB, and from then on every change of the model
 * failed. A Staging of a few candidates is what MLflow users keep; a thousand leave room for any team.
 */
export const MAX_VERSIONS_IN_STAGING = 1_000;

/**
 * Moves a version to another stage (docs/lifecycle.md, "Stages" and "Promotion, step by step") in one transaction.
 * 1. `to: Archived` needs the admin role; resolve `{v}` and note the stage it is in;
 * 2. read the model; when the move touches Production (or the caller names an
 *    expectedCurrentVersion), Production must hold what the caller expects, else what the first
 *    read saw: a re-plan after contention compares against that, so a stale caller gets 409
 *    StageConflict instead of promoting over someone else's promotion;
 * 3. the version must still be where it was, the state machine must allow the move, a version
 *    leaving None must be READY unless it goes to Archived (a stuck upload, PENDING_UPLOAD or
 *    FAILED, is cleared away so), Staging must have room for a version moving there (400, unless
 *    archiveExisting empties it), and the policy's gate for the target stage must pass (422);
 * 4. write the version, the Production pointer, the versions the move displaces (the previous
 *    occupant, or Staging with archiveExisting) → Archived, the model's stage map, one
 *    STAGE_CHANGED entry per moved version (the moved one lists the approvers its gate counted)
 *    and a ConditionCheck on the policy revision.
 */
export async function transitionVersion(
  deps: PromotionDeps,
  name: string,
  selector: VersionSelector,
  input: TransitionInput,
  who: Caller,
): Promise<TransitionView> {
  if (input.to === "Archived") requireRole(who, "admin", "Archiving a version");
  if (input.archiveExisting) requireRole(who, "admin", "Archiving the versions in Staging (archiveExisting)");
  const first = await requireVersion(deps, name, selector);
  const number = first.version;
  const from = first.stage;
  const production = expectation(input.expectedCurrentVersion, (expected, actual) => new StageConflictError(name, expected, actual));

  const outcome = await deps.store.changeOrConflict(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const occupant = current.stages.Production ?? null;
    if (from === "Production" || input.to === "Production" || input.expectedCurrentVersion !== undefined) production(occupant);
    const version = await deps.store.getVersion(name, number);
    if (!version) throw new VersionNotFoundError(name, number);
    if (version.stage !== from) throw movedMeanwhile(name, number, from, version.stage);
    assertMoveAllowed(name, number, from, input.to);
    // A version that never became READY may still be archived (then deleted): nothing else.
    if (version.status !== "READY" && input.to !== "Archived") throw new VersionNotReadyError(name, number, version.status);
    if (input.to === "Staging" && !input.archiveExisting) assertRoomInStaging(current);
    const clearance = await enforcePolicy(deps, version, { from, to: input.to }, who);

    const moves = [{ version: number, from, to: input.to }, ...displacedBy(name, current, { from, to: input.to }, input.archiveExisting)];
    const plan = planMoves(current, version, moves, { occupant, reason: input.reason, now, approvers: clearance.approvers });
    return {
      ...plan,
      writes: [...plan.writes, ...clearance.writes],
      result: (): TransitionView => ({ version: number, from, to: input.to, archived: moves.slice(1).map((m) => m.version) }),
    };
  });
  if ("conflict" in outcome) throw await explainMoveConflict(deps, name, outcome.conflict);
  return outcome.answer;
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
    throw new TransitionNotAllowedError(
      `Staging of '${name}' holds ${staging.length} versions; one move archives at most ${MAX_ARCHIVED_PER_MOVE}. Archive some of them first (to: Archived).`,
      {
        staging: staging.length,
        limit: MAX_ARCHIVED_PER_MOVE,
      },
    );
  }
  return staging.map((version) => ({ version, from: "Staging" as const, to: "Archived" as const }));
}

function assertRoomInStaging(model: ModelItem): void {
  const held = model.stages.Staging?.length ?? 0;
  if (held >= MAX_VERSIONS_IN_STAGING)
    throw new ValidationError(
      `Staging of '${model.name}' holds ${held} versions: a model holds at most ${MAX_VERSIONS_IN_STAGING} versions in Staging. ` +
        `Archive those it no longer needs first (POST /models/${model.name}/versions/{v}/transitions with to: Archived); ` +
        `once it holds at most ${MAX_ARCHIVED_PER_MOVE}, archiveExisting archives them all with the next move to Staging.`,
      [{ path: "body.to", message: `at most ${MAX_VERSIONS_IN_STAGING} versions in Staging per model` }],
    );
}

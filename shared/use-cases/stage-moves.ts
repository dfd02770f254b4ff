import {
  StageConflictError,
  TransitionNotAllowedError,
  VersionNotFoundError,
  VersionNotReadyError,
  type DomainError,
} from "../domain/errors";
import type { HistoryDraft } from "../domain/history";
import { applyMoves, type Stage, type StageMove } from "../domain/lifecycle";
import type { ModelItem } from "../store/entities/model";
import { claimProduction, releaseProduction } from "../store/entities/stage-pointer";
import { moveStage, movedTo, toVersionView, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { RegistryDeps } from "./deps";

/**
 * The transaction of moves made together: `moves[0]` is the version the caller moves (`item`),
 * the rest are versions it displaces from their stage to Archived. Production's occupant was `occupant`;
 * `approvers` are those whose approvals let the main move past its gate.
 */
export function planMoves(
  current: ModelItem,
  item: VersionItem,
  moves: readonly StageMove[],
  context: { occupant: number | null; reason: string; now: string; approvers?: readonly string[] },
): { model: ModelItem; writes: GuardedWrite<MoveConflict>[]; history: HistoryDraft[] } {
  const [main] = moves as [StageMove, ...StageMove[]];
  const name = current.name;
  const history: HistoryDraft[] = moves.map((m, i) => ({
    action: "STAGE_CHANGED",
    version: m.version,
    fromStage: m.from,
    toStage: m.to,
    ...(i === 0 && m.to === "Production" && context.occupant !== null ? { previousVersion: context.occupant } : {}),
    reason: context.reason,
    ...(i === 0 && context.approvers ? { approvers: context.approvers } : {}),
  }));
  const writes: GuardedWrite<MoveConflict>[] = [
    ...moves.map((m, i) => ({
      // The versions a move displaces hold a stage, so they are READY; the main one may be a stuck upload being archived.
      write: moveStage(name, m, context.now, i === 0 ? item.status : "READY"),
      conflict: i > 0 && m.from === "Production" ? productionChanged(m.version) : versionChanged(m),
    })),
    ...pointerWrites(name, main, movedTo(item, main.to, context.now), context.occupant),
  ];
  return { model: { ...current, stages: applyMoves(current.stages, moves) }, writes, history };
}

/** The Production pointer follows the main move: it names the new occupant, or goes when the occupant leaves. */
function pointerWrites(name: string, main: StageMove, item: VersionItem, occupant: number | null): GuardedWrite<MoveConflict>[] {
  if (main.to === "Production") return [{ write: claimProduction(toVersionView(item), occupant), conflict: productionChanged(occupant) }];
  if (main.from !== "Production") return [];
  return [{ write: releaseProduction(name, main.version), conflict: productionChanged(main.version) }];
}

/** 409 TransitionNotAllowed: the version left the stage it was in when the request started. */
export function movedMeanwhile(name: string, version: number, expected: Stage, actual: Stage): DomainError {
  return new TransitionNotAllowedError(
    `Version ${version} of '${name}' was in ${expected} when this request started and is now in ${actual}: another change moved it. Look again and retry.`,
    {
      version,
      expected,
      actual,
    },
  );
}

/** Which guarded write of a stage move failed: Production's occupant, or a moved version, was not as planned. */
export type MoveConflict =
  | { readonly kind: "productionChanged"; readonly expected: number | null }
  | { readonly kind: "versionChanged"; readonly move: StageMove };

const productionChanged = (expected: number | null): MoveConflict => ({ kind: "productionChanged", expected });
const versionChanged = (move: StageMove): MoveConflict => ({ kind: "versionChanged", move });

/** The 409 a failed guard of a stage move means, from what is there now. */
export function explainMoveConflict(deps: RegistryDeps, name: string, conflict: MoveConflict): Promise<DomainError> {
  return conflict.kind === "productionChanged"
    ? productionConflict(deps, name, conflict.expected)
    : explainVersion(deps, name, conflict.move);
}

/** A version's move condition failed: say what the version is now. */
async function explainVersion(deps: RegistryDeps, name: string, move: StageMove): Promise<DomainError> {
  const now = await deps.store.getVersion(name, move.version);
  if (!now) return new VersionNotFoundError(name, move.version);
  if (now.status !== "READY" && move.to !== "Archived") return new VersionNotReadyError(name, move.version, now.status);
  return movedMeanwhile(name, move.version, move.from, now.stage);
}

/** Production's occupant is not the one the move was conditioned on: say who is there now. */
async function productionConflict(deps: RegistryDeps, name: string, expected: number | null): Promise<DomainError> {
  const pointer = await deps.store.getProductionPointer(name);
  return new StageConflictError(name, expected, pointer?.version ?? null);
}

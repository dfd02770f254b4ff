import { TransitionNotAllowedError, type DomainError } from "./errors";
import { ASSIGNED_STAGES } from "./model-uri";

/** Every stage a version can be in: None, where versions start, then the assigned ones. */
export const STAGES = ["None", ...ASSIGNED_STAGES] as const;
export type Stage = (typeof STAGES)[number];

/** The stages a promotion policy may gate. */
export const GATED_STAGES = ["Staging", "Production"] as const;
export type GatedStage = (typeof GATED_STAGES)[number];

/** Where a version's bytes stand: awaiting upload, being hashed by the registry, verified, or refused. */
export const VERSION_STATUSES = ["PENDING_UPLOAD", "VERIFYING", "READY", "FAILED"] as const;

/**
 * The stage moves a transition may make (docs/lifecycle.md, "Stages"): validate, reject,
 * promote, deprecate, demote, restore. Archived → Production is the rollback route's alone.
 */
export const ALLOWED_MOVES: Readonly<Record<Stage, readonly Stage[]>> = {
  None: ["Staging", "Archived"],
  Staging: ["Production", "Archived"],
  Production: ["Archived", "Staging"],
  Archived: ["Staging"],
};

export function isMoveAllowed(from: Stage, to: Stage): boolean {
  return ALLOWED_MOVES[from].includes(to);
}

/** Throws 409 TransitionNotAllowed naming the moves that are allowed from `from`. */
export function assertMoveAllowed(name: string, version: number, from: Stage, to: Stage): void {
  if (isMoveAllowed(from, to)) return;
  const allowed = ALLOWED_MOVES[from];
  const rollbackHint =
    from === "Archived" && to === "Production"
      ? ` To bring an archived version back to Production, use POST /models/${name}/stages/Production/rollback.`
      : "";
  throw new TransitionNotAllowedError(
    `Version ${version} of '${name}' is in ${from}; it cannot move to ${to}. From ${from} it may move to ${allowed.join(" or ")}.${rollbackHint}`,
    {
      version,
      from,
      to,
      allowed,
    },
  );
}

export interface StageMove {
  readonly version: number;
  readonly from: Stage;
  readonly to: Stage;
}

/** The model item's summary of who is where: Production's one version and Staging's, ascending. */
export interface StageMap {
  readonly Production?: number;
  readonly Staging?: number[];
}

/** The stage map after `moves`, which one transaction makes together. */
export function applyMoves(stages: StageMap, moves: readonly StageMove[]): StageMap {
  let production = stages.Production;
  let staging = stages.Staging ?? [];
  for (const move of moves) {
    if (move.from === "Production" && production === move.version) production = undefined;
    if (move.from === "Staging") staging = staging.filter((v) => v !== move.version);
    if (move.to === "Production") production = move.version;
    if (move.to === "Staging") staging = [...staging, move.version].sort((a, b) => a - b);
  }
  return { ...(production === undefined ? {} : { Production: production }), ...(staging.length > 0 ? { Staging: staging } : {}) };
}

/**
 * A compare-and-set expectation that survives re-planning: what the caller says it saw, else what
 * the first read saw (null: nothing). commitModelChange re-runs a plan after contention; each run
 * checks the value it reads against this one, so a retry never overwrites a change that got in
 * after the caller looked.
 */
export function expectation(expected: number | null | undefined, mismatch: (seen: number | null, actual: number | null) => DomainError) {
  let seen = expected;
  return (actual: number | null): number | null => {
    if (seen === undefined) seen = actual;
    if (seen !== actual) throw mismatch(seen, actual);
    return actual;
  };
}

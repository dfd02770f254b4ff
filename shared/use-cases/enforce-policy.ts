import { tallyApprovals } from "../domain/approvals";
import { PolicyViolationError } from "../domain/errors";
import type { Stage } from "../domain/lifecycle";
import type { GatedStage } from "../domain/lifecycle";
import { evaluateGate, type StageGate } from "../domain/policy";
import { checkPolicyRevision } from "../store/entities/policy";
import type { VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { Actor, PromotionDeps } from "./deps";

/** What a move that met its gate commits with: the policy revision check, and the approvers who let it through (when the gate requires approvals). */
export interface PolicyClearance {
  readonly writes: GuardedWrite[];
  readonly approvers?: string[];
}

/**
 * Evaluates the policy's gate for a move into `to` (422 PolicyViolation listing every failed rule,
 * with how many approvals are missing and from whom) and returns the ConditionCheck that commits
 * the move only under the revision it was checked against. Approvals are counted from what the
 * plan reads: each one is a model change, so one recorded meanwhile fails the move's model
 * condition and the move re-plans and counts again.
 */
export async function enforcePolicy(
  deps: PromotionDeps,
  version: VersionItem,
  move: { from: Stage; to: Stage },
  who: Actor,
): Promise<PolicyClearance> {
  if (move.to !== "Staging" && move.to !== "Production") return { writes: [] };
  const policy = await deps.promotionReads.getPolicy(version.model);
  const gate = policy?.gates[move.to];
  const approvals = await approvalsNeeded(deps, version, move.to, gate);
  const failures = evaluateGate(move.to, gate, {
    from: move.from,
    metrics: version.metrics,
    tags: version.tags,
    createdBy: version.createdBy,
    approver: who.actor,
    approvals,
  });
  if (failures.length > 0) throw new PolicyViolationError(version.model, version.version, move.to, failures, policy?.revision ?? 0);
  const writes = [{ write: checkPolicyRevision(version.model, policy?.revision) }];
  if (!gate?.requiredApprovals) return { writes };
  const parties = { createdBy: version.createdBy, movedBy: who.actor };
  return { writes, approvers: tallyApprovals(gate.requiredApprovals, approvals, parties).approvers };
}

/** The recorded decisions for the move, read only when its gate requires approvals. */
function approvalsNeeded(deps: PromotionDeps, version: VersionItem, stage: GatedStage, gate: StageGate | undefined) {
  return gate?.requiredApprovals ? deps.promotionReads.approvalsFor(version.model, version.version, stage) : Promise.resolve([]);
}

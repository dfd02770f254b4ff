import { PolicyViolationError } from "../domain/errors";
import type { Stage } from "../domain/lifecycle";
import { evaluateGate } from "../domain/policy";
import { checkPolicyRevision } from "../store/entities/policy";
import type { VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { Actor, RegistryDeps } from "./deps";

/**
 * Evaluates the policy's gate for a move into `to` (422 PolicyViolation listing every failed rule)
 * and returns the ConditionCheck that commits the move only under the revision it was checked against.
 */
export async function enforcePolicy(
  deps: RegistryDeps,
  version: VersionItem,
  move: { from: Stage; to: Stage },
  who: Actor,
): Promise<GuardedWrite[]> {
  if (move.to !== "Staging" && move.to !== "Production") return [];
  const policy = await deps.store.getPolicy(version.model);
  const failures = evaluateGate(move.to, policy?.gates[move.to], {
    from: move.from,
    metrics: version.metrics,
    tags: version.tags,
    createdBy: version.createdBy,
    approver: who.actor,
  });
  if (failures.length > 0) throw new PolicyViolationError(version.model, version.version, move.to, failures, policy?.revision ?? 0);
  return [{ write: checkPolicyRevision(version.model, policy?.revision) }];
}

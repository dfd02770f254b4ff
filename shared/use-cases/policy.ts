import { ModelNotFoundError, PolicyViolationError } from "../domain/errors";
import { evaluateGate } from "../domain/policy";
import { newPolicyItem, policyKey, toPolicyView } from "../store/entities/policy";
import type { VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { PolicyView, PromotionPolicy } from "../schemas/policy";
import type { Stage } from "../schemas/version";
import type { Actor, RegistryDeps } from "./deps";
import { requireModel } from "./models";

/**
 * Replaces a model's promotion policy.
 * 1. read the model (404 when absent) and its current policy;
 * 2. write the policy with the next revision, conditioned on the revision read, and a
 *    POLICY_CHANGED entry `{ from, to }`, in one transaction. A stage move planned against the
 *    old revision fails its ConditionCheck, re-plans, and meets the new policy.
 */
export async function putPolicy(deps: RegistryDeps, name: string, gates: PromotionPolicy, who: Actor): Promise<PolicyView> {
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const before = await deps.store.getPolicy(name);
    const item = newPolicyItem({ model: name, revision: (before?.revision ?? 0) + 1, gates, actor: who.actor, now });
    return {
      model: current,
      // Invariant: revisions are consecutive; each one is exactly one POLICY_CHANGED entry.
      writes: [{ write: { Put: { TableName: deps.store.tableName, Item: item, ...revisionCondition(before?.revision) } } }],
      history: [{ action: "POLICY_CHANGED", changes: { from: before?.gates ?? null, to: gates } }],
      result: () => toPolicyView(name, item),
    };
  });
}

export async function getPolicy(deps: RegistryDeps, name: string): Promise<PolicyView> {
  const item = await deps.store.getPolicy(name);
  if (!item) await requireModel(deps, name);
  return toPolicyView(name, item);
}

/**
 * Evaluates the policy's gate for a move into `to` (422 PolicyViolation listing every failed rule)
 * and returns the ConditionCheck that commits the move only under the revision it was checked against.
 */
export async function enforcePolicy(deps: RegistryDeps, version: VersionItem, move: { from: Stage; to: Stage }, who: Actor): Promise<GuardedWrite[]> {
  if (move.to !== "Staging" && move.to !== "Production") return [];
  const policy = await deps.store.getPolicy(version.model);
  const failures = evaluateGate(move.to, policy?.gates[move.to], { from: move.from, metrics: version.metrics, tags: version.tags, createdBy: version.createdBy, approver: who.actor });
  if (failures.length > 0) throw new PolicyViolationError(version.model, version.version, move.to, failures, policy?.revision ?? 0);
  return [{ write: { ConditionCheck: { TableName: deps.store.tableName, Key: policyKey(version.model), ...revisionCondition(policy?.revision) } } }];
}

function revisionCondition(revision: number | undefined) {
  if (revision === undefined) return { ConditionExpression: "attribute_not_exists(pk)" };
  return { ConditionExpression: "revision = :revision", ExpressionAttributeValues: { ":revision": revision } };
}

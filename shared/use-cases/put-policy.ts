import { ModelNotFoundError } from "../domain/errors";
import { unchanged } from "../store/model-change";
import { sameContent } from "./describe-changes";
import { newPolicyItem, putPolicy as putPolicyItem, toPolicyView } from "../store/entities/policy";
import type { PolicyView, PromotionPolicy } from "../schemas/policy";
import type { Actor, PromotionDeps } from "./deps";

/**
 * Replaces a model's promotion policy.
 * 1. read the model (404 when absent) and its current policy;
 * 2. write the policy with the next revision, conditioned on the revision read, and a
 *    POLICY_CHANGED entry `{ from, to }`, in one transaction. A stage move planned against the
 *    old revision fails its ConditionCheck, re-plans, and meets the new policy. The policy in
 *    force, sent again, writes nothing.
 */
export async function putPolicy(deps: PromotionDeps, name: string, gates: PromotionPolicy, who: Actor): Promise<PolicyView> {
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const before = await deps.promotionReads.getPolicy(name);
    // The policy in force, sent again (keys in any order): no revision, no entry.
    if (before && sameContent(before.gates, gates)) return unchanged(toPolicyView(name, before));
    const item = newPolicyItem({ model: name, revision: (before?.revision ?? 0) + 1, gates, actor: who.actor, now });
    return {
      model: current,
      writes: [{ write: putPolicyItem(item, before?.revision) }],
      history: [{ action: "POLICY_CHANGED", changes: { from: before?.gates ?? null, to: gates } }],
      result: () => toPolicyView(name, item),
    };
  });
}

import type { PolicyView, PromotionPolicy } from "../../schemas/policy";
import type { ItemBase } from "../table";
import { modelPartition } from "../keys";

export const POLICY_ENTITY = "policy";

export const policyKey = (name: string) => ({ pk: modelPartition(name), sk: "POLICY" });

/** A model's promotion policy; `revision` lets a stage move assert, in its transaction, the policy it checked. */
export interface PolicyItem extends ItemBase {
  readonly model: string;
  readonly revision: number;
  readonly gates: PromotionPolicy;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export function newPolicyItem(fields: { model: string; revision: number; gates: PromotionPolicy; actor: string; now: string }): PolicyItem {
  return {
    ...policyKey(fields.model),
    entity: POLICY_ENTITY,
    schemaVersion: 1,
    model: fields.model,
    revision: fields.revision,
    gates: fields.gates,
    updatedAt: fields.now,
    updatedBy: fields.actor,
  };
}

/** A model without a policy shows revision 0 and no gates. */
export function toPolicyView(name: string, item: PolicyItem | undefined): PolicyView {
  if (!item) return { model: name, revision: 0 };
  return { model: name, revision: item.revision, ...item.gates, updatedAt: item.updatedAt, updatedBy: item.updatedBy };
}

import * as z from "../../zod";
import { storedPolicy, type PolicyView, type PromotionPolicy } from "../../schemas/policy";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition } from "../keys";

export const POLICY_ENTITY = "policy";
const SCHEMA_VERSION = 1;

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
    schemaVersion: SCHEMA_VERSION,
    model: fields.model,
    revision: fields.revision,
    gates: fields.gates,
    updatedAt: fields.now,
    updatedBy: fields.actor,
  };
}

export const policyFromItem = itemReader(POLICY_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(POLICY_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    revision: z.int(),
    gates: storedPolicy,
    updatedAt: z.string(),
    updatedBy: z.string(),
  }),
);

/** A model without a policy shows revision 0 and no gates. */
export function toPolicyView(name: string, item: PolicyItem | undefined): PolicyView {
  if (!item) return { model: name, revision: 0 };
  return { model: name, revision: item.revision, ...item.gates, updatedAt: item.updatedAt, updatedBy: item.updatedBy };
}

/** The revision a policy was read at; undefined: there was none. */
const revisionSeen = (revision: number | undefined) => expect("revision", revision ?? null);

/** Writes the policy's next revision. Invariant: revisions are consecutive; each one is exactly one POLICY_CHANGED entry. */
export const putPolicy = (item: PolicyItem, previousRevision: number | undefined): Write => ({
  Put: { Item: item, ...revisionSeen(previousRevision) },
});

/** Commits a stage move only under the policy revision its gate was checked against. */
export const checkPolicyRevision = (name: string, revision: number | undefined): Write => ({
  ConditionCheck: { Key: policyKey(name), ...revisionSeen(revision) },
});

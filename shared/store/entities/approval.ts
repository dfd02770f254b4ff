import * as z from "../../zod";
import { DECISIONS, type Approval, type Decision } from "../../domain/approvals";
import { ROLES, type Role } from "../../domain/permissions";
import type { ApprovalView } from "../../schemas/approval";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition, padNumber } from "../keys";

export const APPROVAL_ENTITY = "approval";
const SCHEMA_VERSION = 1;
const APPROVAL_SORT_PREFIX = "APPROVAL#";

/** The sort-key prefix of a version's approvals, or of those for one stage (`Production`, `alias:champion`): a Query reads them. */
export const approvalsPrefix = (version: number, stage?: string): string =>
  `${APPROVAL_SORT_PREFIX}${padNumber(version)}#${stage === undefined ? "" : `${stage}#`}`;

/** One item per version, stage and approver: an approver's later decision replaces the earlier one. */
export const approvalKey = (name: string, version: number, stage: string, approver: string) => ({
  pk: modelPartition(name),
  sk: `${approvalsPrefix(version, stage)}${approver}`,
});

export interface ApprovalItem extends ItemBase, Approval {
  readonly model: string;
  readonly version: number;
  readonly stage: string;
  readonly recordedAt: string;
}

export function newApprovalItem(fields: {
  model: string;
  version: number;
  stage: string;
  approver: string;
  roles: readonly Role[];
  decision: Decision;
  comment?: string;
  now: string;
}): ApprovalItem {
  const { now, ...approval } = fields;
  return {
    ...approvalKey(fields.model, fields.version, fields.stage, fields.approver),
    entity: APPROVAL_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    ...approval,
    recordedAt: now,
  };
}

export const approvalFromItem = itemReader(APPROVAL_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(APPROVAL_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    version: z.int(),
    stage: z.string(),
    approver: z.string(),
    roles: z.array(z.enum(ROLES)),
    decision: z.enum(DECISIONS),
    comment: z.optional(z.string()),
    recordedAt: z.string(),
  }),
);

/**
 * Records (or replaces) an approver's decision. No condition of its own: it rides with a model
 * change, whose revision check serialises it with every promotion that counts approvals.
 */
export const putApproval = (item: ApprovalItem): Write => ({ Put: { Item: item } });

export function toApprovalView(item: ApprovalItem): ApprovalView {
  return {
    model: item.model,
    version: item.version,
    stage: item.stage,
    approver: item.approver,
    decision: item.decision,
    roles: [...item.roles],
    ...(item.comment === undefined ? {} : { comment: item.comment }),
    recordedAt: item.recordedAt,
  };
}

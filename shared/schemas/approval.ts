import * as z from "../zod";
import { ALIAS_TARGET_PREFIX, DECISIONS, type ApprovalStage } from "../domain/approvals";
import { findStage, unknownStage } from "../domain/model-uri";
import { GATED_STAGES } from "../domain/lifecycle";
import { ROLES } from "../domain/permissions";
import { cursor, limit } from "./common";
import { settableAlias } from "./alias";

const STAGE_RULE = `${GATED_STAGES.join(" or ")} (any case), or ${ALIAS_TARGET_PREFIX}<alias> for a protected alias`;

/**
 * What an approval is for: a version entering a gated stage (`Production`, any case), or a protected
 * alias moving to it (`alias:champion`). Stages come back spelled as everywhere else.
 */
export const approvalStage = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    z.string().register(z.globalRegistry, { description: STAGE_RULE, example: "Production" }),
    z.transform((text, ctx): ApprovalStage => {
      if (text.startsWith(ALIAS_TARGET_PREFIX)) {
        const alias = z.safeParse(settableAlias, text.slice(ALIAS_TARGET_PREFIX.length));
        if (alias.success) return `${ALIAS_TARGET_PREFIX}${alias.data}`;
        ctx.issues.push({ code: "custom", message: `${text}: ${alias.error.issues[0]?.message ?? "not an alias"}`, input: text });
        return z.NEVER;
      }
      const stage = findStage(text, GATED_STAGES);
      if (stage) return stage;
      ctx.issues.push({ code: "custom", message: `${unknownStage(text, GATED_STAGES)}; an approval is for ${STAGE_RULE}`, input: text });
      return z.NEVER;
    }),
  ),
);

export const recordApprovalBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    stage: approvalStage,
    decision: z.enum(DECISIONS).register(z.globalRegistry, {
      description: "approve, or reject (stands until the same approver approves; a promotion or protected alias move is refused meanwhile)",
    }),
    comment: z
      .optional(z.string().check(z.minLength(1), z.maxLength(1024)))
      .register(z.globalRegistry, { description: "Why: kept as the history entry's reason" }),
  }),
);
export type RecordApprovalInput = z.infer<typeof recordApprovalBody>;

export const listApprovalsQuery = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    stage: z.optional(approvalStage).register(z.globalRegistry, { description: "Only the approvals for this stage or alias:<alias>" }),
    limit,
    cursor,
  }),
);

/** An approver's standing decision on one version for one stage or protected alias. */
export const approvalView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    model: z.string(),
    version: z.int(),
    stage: z.string().register(z.globalRegistry, { description: "Staging, Production or alias:<alias>" }),
    approver: z.string(),
    decision: z.enum(DECISIONS),
    roles: z.array(z.enum(ROLES)).register(z.globalRegistry, { description: "The roles the approver held when deciding" }),
    comment: z.optional(z.string()),
    recordedAt: z.string(),
  }),
);
export type ApprovalView = z.infer<typeof approvalView>;

export const approvalPage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ items: z.array(approvalView), nextCursor: z.optional(z.string()) }),
);

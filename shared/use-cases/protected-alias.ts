import { aliasApprovalTarget, protectedAliasRefusal } from "../domain/approvals";
import type { Caller } from "../domain/permissions";
import { isProtectedAlias } from "../domain/policy";
import type { PromotionDeps } from "./deps";

/**
 * Inside an alias change's plan: when the policy protects the alias, a caller without the admin
 * role needs a standing approval of `version` for alias:<alias> by someone else (403 naming what
 * is missing). Policy edits and approvals are model changes too: one committed meanwhile fails the
 * alias change's model condition, and the re-plan checks again.
 */
export async function guardProtectedAlias(
  deps: PromotionDeps,
  target: { model: string; alias: string; version: number; action: string },
  who: Caller,
): Promise<void> {
  const policy = await deps.promotionReads.getPolicy(target.model);
  if (!isProtectedAlias(policy?.gates, target.alias)) return;
  const approvals = await deps.promotionReads.approvalsFor(target.model, target.version, aliasApprovalTarget(target.alias));
  const refusal = protectedAliasRefusal(target, who, approvals);
  if (refusal) throw refusal;
}

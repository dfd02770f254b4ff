import { aliasApprovalTarget, protectedAliasRefusal } from "../domain/approvals";
import type { Caller } from "../domain/permissions";
import { isProtectedAlias } from "../domain/policy";
import { checkPolicyRevision } from "../store/entities/policy";
import type { GuardedWrite } from "../store/model-change";
import type { RegistryDeps } from "./deps";

/**
 * Inside an alias change's plan: when the policy protects the alias, a caller without the admin
 * role needs a standing approval of `version` for alias:<alias> by someone else (403 naming what
 * is missing). Returns the ConditionCheck that commits the change only under the policy revision
 * read, so an alias protected meanwhile cannot be moved past its protection.
 */
export async function guardProtectedAlias(
  deps: RegistryDeps,
  target: { model: string; alias: string; version: number; action: string },
  who: Caller,
): Promise<GuardedWrite[]> {
  const policy = await deps.store.getPolicy(target.model);
  if (isProtectedAlias(policy?.gates, target.alias)) {
    const approvals = await deps.store.approvalsFor(target.model, target.version, aliasApprovalTarget(target.alias));
    const refusal = protectedAliasRefusal(target, who, approvals);
    if (refusal) throw refusal;
  }
  return [{ write: checkPolicyRevision(target.model, policy?.revision) }];
}

import { Token } from "aws-cdk-lib";
import type { RoleBinding } from "../shared/domain/permissions";
import type { AccountRoleBinding } from "./config";

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The handlers' ROLE_BINDINGS: every binding's pattern anchored on the account's ARN prefix, so that
 * a principal of another account matches none of them. The account may be a deploy-time token
 * (the deploying account of an environment-agnostic stack); a literal one must be a 12-digit id,
 * so that a `*` or an empty string can never stand for "any account".
 */
export function roleBindingsFor(bindings: readonly AccountRoleBinding[], account: string, partition: string): RoleBinding[] {
  if (!Token.isUnresolved(account) && !ACCOUNT_ID.test(account)) {
    throw new Error(`Role bindings name the account by its 12-digit id; "${account}" is not one (infra/config.ts: account).`);
  }
  return bindings.map(({ service, principal, roles }) => ({ pattern: `arn:${partition}:${service}::${account}:${principal}`, roles }));
}

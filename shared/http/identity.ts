import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { ForbiddenError } from "../domain/errors";
import { rolesOf, type Caller, type RoleBinding } from "../domain/permissions";

/**
 * The caller as API Gateway verified it (IAM authorization): its ARN, and the roles the
 * environment binds it to. The local gateway puts `local:<user>` in the same place, so handlers
 * never know where they run.
 */
export function callerOf(event: APIGatewayProxyEventV2WithIAMAuthorizer, bindings: readonly RoleBinding[]): Caller {
  const actor = event.requestContext.authorizer?.iam?.userArn;
  if (!actor) throw new ForbiddenError("The request carries no verified caller identity. Sign it with SigV4 (IAM).");
  return { actor, requestId: event.requestContext.requestId, roles: rolesOf(actor, bindings) };
}

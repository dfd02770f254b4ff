import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { ForbiddenError } from "../domain/errors";
import type { Actor } from "../store/registry-store";

/**
 * The caller as API Gateway verified it (IAM authorization): its ARN. The local gateway puts
 * `local:<user>` in the same place, so handlers never know where they run.
 */
export function actorOf(event: APIGatewayProxyEventV2WithIAMAuthorizer): Actor {
  const actor = event.requestContext.authorizer?.iam?.userArn;
  if (!actor) throw new ForbiddenError("The request carries no verified caller identity. Sign it with SigV4 (IAM).");
  return { actor, requestId: event.requestContext.requestId };
}

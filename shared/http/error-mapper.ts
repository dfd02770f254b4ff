import type middy from "@middy/core";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DomainError } from "../domain/errors";
import type { ErrorCode } from "../domain/error-code";
import { jsonResponse } from "./responses";
import { isMlflowRouteKey, mlflowError } from "../mlflow/errors";

/**
 * Each domain error code's HTTP status, in one place (README.md lists them under Routes). It does
 * not compile while a code is missing; the OpenAPI document lists each operation's errors from it.
 */
export const HTTP_STATUS_BY_CODE = {
  ValidationError: 400,
  Forbidden: 403,
  ModelNotFound: 404,
  VersionNotFound: 404,
  RouteNotFound: 404,
  StageEmpty: 404,
  AliasNotFound: 404,
  ArtifactNotFound: 404,
  ModelAlreadyExists: 409,
  SemverConflict: 409,
  ConcurrentModification: 409,
  StageConflict: 409,
  TransitionNotAllowed: 409,
  VersionNotReady: 409,
  AliasConflict: 409,
  NothingToRollBack: 409,
  IdempotencyKeyReused: 409,
  IdempotencyKeyInProgress: 409,
  UploadIncomplete: 409,
  UploadConflict: 409,
  VersionInUse: 409,
  ModelBeingDeleted: 409,
  PayloadTooLarge: 413,
  PolicyViolation: 422,
  RequestTimedOut: 503,
} as const satisfies Record<ErrorCode, number>;

const statusOf = (error: DomainError): number | undefined => (HTTP_STATUS_BY_CODE as Record<string, number>)[error.code];

/**
 * The one place errors become HTTP responses (the shape README.md documents under Routes).
 * Domain errors keep their code and message; anything unexpected is logged and answered with a
 * bare 500 and the request id.
 */
export function errorMapper(logger: Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId;
      const { error } = request;
      if (isMlflowRouteKey(request.event.routeKey)) return void (request.response = mlflowResponse(logger, error, requestId));
      const status = error instanceof DomainError ? statusOf(error) : undefined;
      if (error instanceof DomainError && status !== undefined) {
        logger.info("request refused", { code: error.code, reason: error.message });
        request.response = jsonResponse(status, { error: { code: error.code, message: error.message, details: error.details, requestId } });
      } else {
        logger.error("unhandled error", error as Error);
        request.response = jsonResponse(500, {
          error: { code: "InternalError", message: `Internal error. Quote request id ${requestId} when reporting it.`, requestId },
        });
      }
    },
  };
}

/** MLflow's clients read `{error_code, message}`: the MLflow-compatible routes answer in that shape. */
function mlflowResponse(logger: Logger, error: unknown, requestId: string | undefined): APIGatewayProxyStructuredResultV2 {
  const { status, body } = mlflowError(error, requestId);
  if (status >= 500 && !(error instanceof DomainError)) logger.error("unhandled error", error as Error);
  else logger.info("request refused", { code: body.error_code, reason: body.message });
  return jsonResponse(status, body);
}

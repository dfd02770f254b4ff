import type middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DomainError } from "../domain/errors";
import { jsonResponse } from "./responses";
import { logger } from "./logger";

/**
 * The one place errors become HTTP responses (the shape README.md documents under Routes).
 * Domain errors keep their code and message; anything unexpected is logged and answered with a
 * bare 500 and the request id.
 */
export function errorMapper(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId;
      const { error } = request;
      if (error instanceof DomainError) {
        logger.info("request refused", { code: error.code, reason: error.message });
        request.response = jsonResponse(error.status, { error: { code: error.code, message: error.message, details: error.details, requestId } });
      } else {
        logger.error("unhandled error", error as Error);
        request.response = jsonResponse(500, { error: { code: "InternalError", message: `Internal error. Quote request id ${requestId} when reporting it.`, requestId } });
      }
    },
  };
}

import type middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DomainError } from "../domain/errors";
import { jsonResponse } from "./responses";
import { logger } from "./logger";

interface MiddyHttpError {
  readonly statusCode: number;
  readonly message: string;
  readonly cause?: { package?: string; message?: string };
}

const isBodyParserError = (error: unknown): error is MiddyHttpError =>
  typeof error === "object" && error !== null && (error as MiddyHttpError).cause?.package === "@middy/http-json-body-parser";

/**
 * The one place errors become HTTP responses (SPEC §5 shape). Domain errors keep their code and
 * message; anything unexpected is logged and answered with a bare 500 and the request id.
 */
export function errorMapper(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId;
      const { error } = request;
      if (error instanceof DomainError) {
        logger.info("request refused", { code: error.code, reason: error.message });
        request.response = jsonResponse(error.status, { error: { code: error.code, message: error.message, details: error.details, requestId } });
      } else if (isBodyParserError(error)) {
        const reason = error.cause?.message ?? "the body is missing";
        request.response = jsonResponse(400, {
          error: { code: "ValidationError", message: `The request body must be a JSON document (${reason}).`, details: [{ path: "body", message: reason }], requestId },
        });
      } else {
        logger.error("unhandled error", error as Error);
        request.response = jsonResponse(500, { error: { code: "InternalError", message: `Internal error. Quote request id ${requestId} when reporting it.`, requestId } });
      }
    },
  };
}

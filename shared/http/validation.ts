import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as z from "../zod";
import { ValidationError, type FieldProblem } from "../domain/errors";

/** Parses `input` with `schema`, or throws a 400 naming every bad field and what is wrong with it. */
export function parseOrThrow<S extends z.core.$ZodType>(schema: S, input: unknown, where: "body" | "path" | "query"): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  throw new ValidationError(`The request is not valid: ${summary}`, details);
}

/**
 * The request body as JSON, whatever its content type (curl sends a form type by default), or
 * undefined when there is none: an absent body is left to the route's schema, since a few routes
 * (…/artifact/complete) take none. Anything that is not JSON is a 400.
 */
export function jsonBodyOf(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): unknown {
  if (!event.body) return undefined;
  try {
    return JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body);
  } catch (error) {
    const reason = (error as Error).message;
    throw new ValidationError(`The request body must be a JSON document (${reason}).`, [{ path: "body", message: reason }]);
  }
}

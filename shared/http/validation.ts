import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as z from "../zod";
import { ValidationError, type FieldProblem } from "../domain/errors";

/** Parses `input` with `schema`, or throws a 400 naming every bad field and what is wrong with it. */
export function parseOrThrow<S extends z.core.$ZodType>(schema: S, input: unknown, where: "body" | "path" | "query"): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.flatMap(reported).map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  throw new ValidationError(`The request is not valid: ${summary}`, details);
}

/**
 * What to report of an issue. A union that took none of its forms says only "Invalid input"; when
 * the input has the type of exactly one form (a list of 51 tags where a list or a map is allowed),
 * that form's own issues say what is wrong (at most 50 tags), at the union's place.
 */
function reported(issue: z.core.$ZodIssue): Pick<z.core.$ZodIssue, "path" | "message">[] {
  if (issue.code !== "invalid_union") return [issue];
  const ofInputType = issue.errors.filter((form) => !form.some((inner) => inner.code === "invalid_type" && inner.path.length === 0));
  const [form] = ofInputType;
  if (ofInputType.length !== 1 || !form) return [issue];
  return form.flatMap(reported).map((inner) => ({ path: [...issue.path, ...inner.path], message: inner.message }));
}

/**
 * The request body as JSON, whatever its content type (curl sends a form type by default), or
 * undefined when there is none: an absent body is left to the route's schema, since a few routes
 * (…/artifact/complete) take none. Anything that is not JSON is a 400.
 */
export function jsonBodyOf(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): unknown {
  if (!event.body) return undefined;
  let lone: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body, (key, value: unknown) => {
      lone ??= [key, value].find((text): text is string => typeof text === "string" && LONE_SURROGATE.test(text));
      return value;
    });
  } catch (error) {
    const reason = (error as Error).message;
    throw new ValidationError(`The request body must be a JSON document (${reason}).`, [{ path: "body", message: reason }]);
  }
  if (lone !== undefined) {
    const reason = `${JSON.stringify(lone)} holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), which is not text`;
    throw new ValidationError(`The request body must be valid Unicode text: ${reason}.`, [{ path: "body", message: reason }]);
  }
  return parsed;
}

/** JSON may escape half of a UTF-16 pair on its own; DynamoDB stores UTF-8, which cannot hold it. */
const LONE_SURROGATE = /\p{Surrogate}/u;

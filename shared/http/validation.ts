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

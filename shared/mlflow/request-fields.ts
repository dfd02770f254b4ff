import * as z from "../zod";
import { modelName } from "../schemas/common";

/**
 * How an MLflow request message is read, the fields every one names a model or a version with, and
 * the empty answer: apart from
 * ./schemas.ts, so that a function serving only MLflow's deletions (artifacts) builds no other
 * message's schema. Missing fields are named as MLflow's server names them.
 */

/** What MLflow's server answers for a required field that is missing. */
export const missing = (field: string) => `Missing value for required parameter '${field}'.`;

/** A required text field: absent → "Missing value for required parameter '<field>'". */
export const requiredText = (field: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? missing(field) : `'${field}' must be a string`) });

/** Names follow the native rules (and stay within DynamoDB's key sizes). */
export const name = /* @__PURE__ */ z.onFirstUse(() => z.pipe(requiredText("name"), modelName));

/** A version number: MLflow sends it as a string ("3"); a JSON number is taken too. */
export const versionNumber = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    z.union([z.string(), z.number()], {
      error: (issue) => (issue.input === undefined ? missing("version") : "'version' must be a version number such as '3'"),
    }),
    z.transform((value, ctx) => {
      const text = String(value);
      if (/^[1-9]\d{0,9}$/.test(text)) return Number(text);
      ctx.issues.push({ code: "custom", message: `'version' must be a version number such as '3', not '${text}'`, input: value });
      return z.NEVER;
    }),
  ),
);

/** A JSON object's fields without those set to null; anything else as it is. */
function withoutNullFields(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null));
}

/**
 * A request message as protobuf's JSON parsing reads it: a field this API does not know is ignored,
 * and a field set to null is absent (`"description": null` is no description; a required field set
 * to null is missing).
 */
export const message = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.pipe(z.transform(withoutNullFields), z.looseObject(shape));

export const nameBody = /* @__PURE__ */ z.onFirstUse(() => message({ name }));
export const versionBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, version: versionNumber }));
export const emptyAnswer = /* @__PURE__ */ z.onFirstUse(() => z.object({}));

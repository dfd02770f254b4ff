import * as z from "../zod";
import { ALIAS_PATTERN, ASSIGNED_STAGES, LATEST, findStage } from "../domain/model-uri";
import { modelName } from "./common";

export const aliasName = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .string()
    .check(z.regex(ALIAS_PATTERN, "an alias is 1-63 lowercase letters, digits or '-', starting with a letter (e.g. champion)"))
    .register(z.globalRegistry, { description: "A movable named pointer to one version", example: "champion" }),
);

/** An alias a caller may set or remove: any alias name but the implicit `latest` and the stage names, which `{v}` reads as stages. */
export const settableAlias = /* @__PURE__ */ z.onFirstUse(() =>
  z.built(aliasName).check(
    z.refine((alias) => alias !== LATEST, `'${LATEST}' is implicit (the newest READY version) and cannot be set or removed`),
    z.refine(
      (alias) => findStage(alias, ASSIGNED_STAGES) === undefined,
      "a stage name cannot be an alias: versions/<stage> names the version in that stage, in any case; choose another name (e.g. champion)",
    ),
  ),
);

export const aliasPath = /* @__PURE__ */ z.onFirstUse(() => z.object({ name: modelName, alias: settableAlias }));

export const setAliasBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.strictObject({
    version: z.int().check(z.positive()),
    expectedVersion: z.optional(z.nullable(z.int().check(z.positive()))).register(z.globalRegistry, {
      description: "Compare-and-set: the version the alias points to now as you saw it (null: not set); 409 AliasConflict if it moved",
    }),
    reason: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  }),
);
export type SetAliasInput = z.infer<typeof setAliasBody>;

export const aliasView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    model: z.string(),
    alias: z.string(),
    version: z.nullable(z.int()).register(z.globalRegistry, { description: "The target now; null after a delete" }),
    previousVersion: z.nullable(z.int()),
  }),
);
export type AliasView = z.infer<typeof aliasView>;

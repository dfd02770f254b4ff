import * as z from "../zod";
import { STAGES, type Stage } from "../domain/lifecycle";
import { MAX_CURSOR_LENGTH, tagKey, tagValue } from "../schemas/common";
import { aliasName } from "../schemas/alias";
import { emptyAnswer, message, missing, name, nameBody, requiredText, versionBody, versionNumber } from "./request-fields";

export { emptyAnswer, nameBody, versionBody };

/**
 * MLflow's Model Registry messages (`mlflow/protos/model_registry.proto`) as zod schemas. Requests
 * are read as protobuf's JSON parsing reads them (`message`): a field this API does not know is
 * ignored, one set to null is absent.
 * A required field that is missing is named in the message, as MLflow's server names it.
 */

const optionalText = /* @__PURE__ */ z.onFirstUse(() => z.optional(z.string()));

/** Aliases follow the native rules (and stay within DynamoDB's key sizes). */
const alias = /* @__PURE__ */ z.onFirstUse(() => z.pipe(requiredText("alias"), aliasName));
/** MLflow's server refuses to set an alias spelled as a version's name (`v3`): it keeps `v<number>` for versions. */
const VERSION_SPELLED_ALIAS = /^v\d+$/;
const newAlias = /* @__PURE__ */ z.onFirstUse(() =>
  z.built(alias).check(
    z.refine((text) => !VERSION_SPELLED_ALIAS.test(text), {
      error: (issue) =>
        `Version alias name '${issue.input}' is reserved: MLflow keeps v<number> for versions; choose another name (e.g. champion)`,
    }),
  ),
);
/** A filter or an order_by clause: generous for what they express, bounded for the parser. */
const clauseText = /* @__PURE__ */ z.onFirstUse(() => z.string().check(z.maxLength(4096, "at most 4096 characters")));

const STAGE_BY_LOWER_CASE = new Map<string, Stage>(STAGES.map((stage) => [stage.toLowerCase(), stage]));

/** A stage name in any case (`production`, `PRODUCTION`), as MLflow's server takes it. */
const stageName = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    requiredText("stage"),
    z.transform((text, ctx) => {
      const stage = STAGE_BY_LOWER_CASE.get(text.toLowerCase());
      if (stage) return stage;
      ctx.issues.push({ code: "custom", message: `'stage' must be one of ${STAGES.join(", ")}, not '${text}'`, input: text });
      return z.NEVER;
    }),
  ),
);

/** A tag's key and value within the native limits, each message naming the limit. */
const key = /* @__PURE__ */ z.onFirstUse(() => z.pipe(requiredText("key"), tagKey));
const value = /* @__PURE__ */ z.onFirstUse(() => z.pipe(requiredText("value"), tagValue));
const tagList = /* @__PURE__ */ z.onFirstUse(() => z.optional(z.array(message({ key, value: z._default(value, "") }))));
export type MlflowTagInput = NonNullable<z.infer<typeof tagList>>;

/** A repeated field in a query string: API Gateway joins repeated parameters with commas. */
const repeated = /* @__PURE__ */ z.onFirstUse(() =>
  z.pipe(
    z.optional(clauseText),
    z.transform((joined) => (joined ? joined.split(",").map((part) => part.trim()) : [])),
  ),
);

const maxResults = (field: string, ceiling: number) =>
  z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{1,9}$/, `'${field}' must be a whole number`)),
      z.pipe(
        z.transform(Number),
        z.int().check(z.gte(1, `'${field}' must be at least 1`), z.lte(ceiling, `'${field}' is at most ${ceiling}`)),
      ),
    ),
  );

const pageToken = /* @__PURE__ */ z.onFirstUse(() => z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_CURSOR_LENGTH))));

// Registered models

export const nameQuery = nameBody;
export const createRegisteredModelBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, tags: tagList, description: optionalText }));
export const renameRegisteredModelBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, new_name: optionalText }));
export const updateRegisteredModelBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, description: optionalText }));
export const searchRegisteredModelsQuery = /* @__PURE__ */ z.onFirstUse(() =>
  message({
    filter: z.optional(clauseText),
    max_results: maxResults("max_results", 1000),
    order_by: repeated,
    page_token: pageToken,
  }),
);
export const getLatestVersionsBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, stages: z._default(z.array(stageName), []) }));
export const getLatestVersionsQuery = /* @__PURE__ */ z.onFirstUse(() => message({ name, stages: z.pipe(repeated, z.array(stageName)) }));
export const setRegisteredModelTagBody = /* @__PURE__ */ z.onFirstUse(() =>
  message({
    name,
    key,
    value,
  }),
);
export const deleteRegisteredModelTagBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, key }));
export const setAliasBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, alias: newAlias, version: versionNumber }));
export const aliasBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, alias }));

// Model versions

export const createModelVersionBody = /* @__PURE__ */ z.onFirstUse(() =>
  message({
    name,
    source: requiredText("source"),
    run_id: optionalText,
    tags: tagList,
    run_link: optionalText,
    description: optionalText,
  }),
);
export const updateModelVersionBody = /* @__PURE__ */ z.onFirstUse(() =>
  message({ name, version: versionNumber, description: optionalText }),
);
export const transitionStageBody = /* @__PURE__ */ z.onFirstUse(() =>
  message({
    name,
    version: versionNumber,
    stage: stageName,
    archive_existing_versions: z.boolean({
      error: (issue) =>
        issue.input === undefined ? missing("archive_existing_versions") : "'archive_existing_versions' must be true or false",
    }),
  }),
);
export const searchModelVersionsQuery = /* @__PURE__ */ z.onFirstUse(() =>
  message({
    filter: z.optional(clauseText),
    max_results: maxResults("max_results", 200_000),
    order_by: repeated,
    page_token: pageToken,
  }),
);
export const setModelVersionTagBody = /* @__PURE__ */ z.onFirstUse(() =>
  message({
    name,
    version: versionNumber,
    key,
    value,
  }),
);
export const deleteModelVersionTagBody = /* @__PURE__ */ z.onFirstUse(() => message({ name, version: versionNumber, key }));

// Responses

const tagView = /* @__PURE__ */ z.onFirstUse(() => z.object({ key: z.string(), value: z.string() }));

export const modelVersionView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    name: z.string(),
    version: z.string(),
    creation_timestamp: z.int(),
    last_updated_timestamp: z.int(),
    user_id: z.string(),
    current_stage: z.string(),
    description: z.optional(z.string()),
    source: z.string(),
    run_id: z.optional(z.string()),
    status: z.enum(["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"]),
    status_message: z.optional(z.string()),
    tags: z.array(tagView),
    run_link: z.optional(z.string()),
    aliases: z.array(z.string()),
  }),
);
export type MlflowModelVersion = z.infer<typeof modelVersionView>;

export const registeredModelView = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    name: z.string(),
    creation_timestamp: z.int(),
    last_updated_timestamp: z.int(),
    user_id: z.string(),
    description: z.optional(z.string()),
    latest_versions: z.array(modelVersionView),
    tags: z.array(tagView),
    aliases: z.array(z.object({ alias: z.string(), version: z.string() })),
  }),
);
export type MlflowRegisteredModel = z.infer<typeof registeredModelView>;

export const registeredModelAnswer = /* @__PURE__ */ z.onFirstUse(() => z.object({ registered_model: registeredModelView }));
export const modelVersionAnswer = /* @__PURE__ */ z.onFirstUse(() => z.object({ model_version: modelVersionView }));
export const modelVersionsAnswer = /* @__PURE__ */ z.onFirstUse(() => z.object({ model_versions: z.array(modelVersionView) }));
export const registeredModelPage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ registered_models: z.array(registeredModelView), next_page_token: z.optional(z.string()) }),
);
export const modelVersionPage = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({ model_versions: z.array(modelVersionView), next_page_token: z.optional(z.string()) }),
);
export const downloadUriAnswer = /* @__PURE__ */ z.onFirstUse(() => z.object({ artifact_uri: z.string() }));

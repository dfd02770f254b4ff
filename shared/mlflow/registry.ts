import { parseOrThrow } from "../http/validation";
import type { Caller } from "../domain/permissions";
import type { Stage } from "../domain/lifecycle";
import { createModelBody, updateModelBody } from "../schemas/model";
import { registerVersionBody, runId as runIdSchema, updateVersionBody, type VersionView } from "../schemas/version";
import { modelName, tags as tagsSchema } from "../schemas/common";
import * as z from "../zod";
import { aliasPath } from "../schemas/alias";
import type { ArtifactDeps, KeyMetricDeps, ListingDeps, PromotionDeps, RegistryDeps } from "../use-cases/deps";
import { createModel } from "../use-cases/create-model";
import { getModel } from "../use-cases/get-model";
import { updateModel } from "../use-cases/update-model";
import { registerVersion } from "../use-cases/register-version";
import { updateVersion } from "../use-cases/update-version";
import { getVersion } from "../use-cases/get-version";
import { listVersions } from "../use-cases/list-versions";
import { listRunVersionsAs } from "../use-cases/list-run-versions";
import { listModelsAs } from "../use-cases/list-models";
import { transitionVersion } from "../use-cases/transition-version";
import { setAlias } from "../use-cases/set-alias";
import { deleteAlias } from "../use-cases/delete-alias";
import { latestVersionsOf } from "../use-cases/latest-versions";
import { MlflowRefusal } from "./errors";
import { RUN_LINK_TAG, assertWritableTag, downloadUriOf, tagMap, toMlflowModel, toMlflowVersion } from "./mapping";
import { assertModelOrderServed, assertRunOrderServed, modelSearch, modelVersionsOrder, parseFilter, versionSearch } from "./search";
import type { MlflowModelVersion, MlflowRegisteredModel, MlflowTagInput } from "./schemas";

/**
 * MLflow's ModelRegistryService over the registry's own use cases: every write is the native one
 * (same transaction, history, policy gate, role and event); this module only maps MLflow's fields
 * to them and the answers back (docs/mlflow.md lists each mapping and every difference).
 */

type VersionRef = { readonly name: string; readonly version: number };
type SearchQuery = { readonly filter?: string; readonly max_results?: number; readonly order_by: string[]; readonly page_token?: string };

/** The reason the history records for moves made through the MLflow API, which has no field for one. */
const MLFLOW_REASON = "MLflow transition-stage";
/** Versions per search page: a Query of one model's partition, filtered, answers them. */
const MAX_VERSIONS_PER_PAGE = 1000;
/** Versions per page of a run's search: each is read, with its model's aliases, after the run index answers. */
const MAX_RUN_VERSIONS_PER_PAGE = 100;
/** Models per search page: each carries its latest versions, a few reads per model. */
const MAX_MODELS_PER_PAGE = 100;

async function registeredModel(deps: RegistryDeps, name: string): Promise<MlflowRegisteredModel> {
  const model = await getModel(deps, name);
  return toMlflowModel(model, await latestVersionsOf(deps, model));
}

async function modelVersion(deps: RegistryDeps, { name, version }: VersionRef): Promise<MlflowModelVersion> {
  const [model, view] = await Promise.all([getModel(deps, name), getVersion(deps, name, { number: version })]);
  return toMlflowVersion(view, model.aliases);
}

export async function createRegisteredModel(
  deps: RegistryDeps,
  input: { name: string; description?: string; tags?: MlflowTagInput },
  who: Caller,
): Promise<MlflowRegisteredModel> {
  const body = parseOrThrow(createModelBody, { name: input.name, description: input.description, tags: tagMap(input.tags) }, "body");
  return toMlflowModel(await createModel(deps, body, who), []);
}

/** Refused: a model's name is a product contract that URIs, deployment rules, events and history refer to. */
export function renameRegisteredModel(input: { name: string }): never {
  throw new MlflowRefusal(
    "INVALID_PARAMETER_VALUE",
    `Model '${input.name}' cannot be renamed: its name is a product contract (models:/ URIs, deployment rules, events and ` +
      "history refer to it). Register the new product under its own name and archive this model's versions.",
  );
}

export async function updateRegisteredModel(
  deps: KeyMetricDeps,
  input: { name: string; description?: string },
  who: Caller,
): Promise<MlflowRegisteredModel> {
  if (input.description !== undefined)
    await updateModel(deps, input.name, parseOrThrow(updateModelBody, { description: input.description }, "body"), who);
  return registeredModel(deps, input.name);
}

export const getRegisteredModel = registeredModel;

export async function searchRegisteredModels(
  deps: ListingDeps,
  query: SearchQuery,
): Promise<{ registered_models: MlflowRegisteredModel[]; next_page_token?: string }> {
  const search = modelSearch(parseFilter(query.filter));
  assertModelOrderServed(query.order_by);
  if ("name" in search) {
    const model = await findModel(deps, search.name);
    return { registered_models: model ? [await registeredModel(deps, model.name)] : [] };
  }
  const limit = Math.min(query.max_results ?? MAX_MODELS_PER_PAGE, MAX_MODELS_PER_PAGE);
  // Each model's latest versions are read as its page is: the page holds as many models as fit its bytes with them.
  const page = await listModelsAs(deps, { prefix: search.prefix, limit, cursor: query.page_token }, async (model) =>
    toMlflowModel(model, await latestVersionsOf(deps, model)),
  );
  return { registered_models: page.items, next_page_token: page.nextCursor };
}

/** The model a search names, if any: a name no model can have finds none (and is never a key too long for the table). */
async function findModel(deps: RegistryDeps, name: string) {
  return z.safeParse(modelName, name).success ? deps.store.getModel(name) : undefined;
}

export async function getLatestVersions(deps: RegistryDeps, input: { name: string; stages: Stage[] }): Promise<MlflowModelVersion[]> {
  const model = await getModel(deps, input.name);
  const latest = await latestVersionsOf(deps, model, input.stages);
  return latest.map((version) => toMlflowVersion(version, model.aliases));
}

/** Sets one tag, or removes it (value undefined), on the model as it is when the change commits. */
export async function editRegisteredModelTag(deps: KeyMetricDeps, input: { name: string; key: string; value?: string }, who: Caller) {
  assertWritableTag(input.key);
  await updateModel(deps, input.name, (current) => ({ tags: editedTags(current.tags, input.key, input.value) }), who);
}

/** The tags with `key` set to `value` (or removed), within the native limits. */
function editedTags(tags: Record<string, string>, key: string, value: string | undefined): Record<string, string> {
  const { [key]: _old, ...others } = tags;
  const next = value === undefined ? others : { ...others, ...tagMap([{ key, value }]) };
  return parseOrThrow(tagsSchema, next, "body");
}

export async function createModelVersion(
  deps: ArtifactDeps,
  input: { name: string; source: string; run_id?: string; run_link?: string; description?: string; tags?: MlflowTagInput },
  who: Caller,
): Promise<MlflowModelVersion> {
  // MLflow's server answers RESOURCE_DOES_NOT_EXIST for a model nobody created; the native registration would create it.
  const model = await getModel(deps, input.name);
  const tags = { ...tagMap(input.tags), ...(input.run_link === undefined ? {} : { [RUN_LINK_TAG]: input.run_link }) };
  const lineage = input.run_id === undefined ? undefined : { runId: input.run_id };
  const body = parseOrThrow(registerVersionBody, { source: input.source, description: input.description, tags, lineage }, "body");
  return toMlflowVersion(await registerVersion(deps, input.name, body, who), model.aliases);
}

export async function updateModelVersion(
  deps: RegistryDeps,
  input: VersionRef & { description?: string },
  who: Caller,
): Promise<MlflowModelVersion> {
  if (input.description !== undefined) {
    const patch = parseOrThrow(updateVersionBody, { description: input.description }, "body");
    await updateVersion(deps, input.name, { number: input.version }, patch, who);
  }
  return modelVersion(deps, input);
}

/**
 * The native transition, atomic and compare-and-set on Production's occupant as read when the
 * request starts. To Production the previous occupant is archived in the same transaction
 * whatever `archive_existing_versions` says (Production holds one version); to Staging the flag
 * archives the versions already there.
 */
export async function transitionModelVersionStage(
  deps: PromotionDeps,
  input: VersionRef & { stage: Stage; archive_existing_versions: boolean },
  who: Caller,
): Promise<MlflowModelVersion> {
  const archiveExisting = input.stage === "Staging" && input.archive_existing_versions;
  await transitionVersion(deps, input.name, { number: input.version }, { to: input.stage, reason: MLFLOW_REASON, archiveExisting }, who);
  return modelVersion(deps, input);
}

export const getModelVersion = modelVersion;

export async function searchModelVersions(
  deps: ListingDeps,
  query: SearchQuery,
): Promise<{ model_versions: MlflowModelVersion[]; next_page_token?: string }> {
  const search = versionSearch(parseFilter(query.filter));
  if ("none" in search) return { model_versions: [] };
  if (!("name" in search)) return searchRunVersions(deps, search.runId, query);
  const { oldestFirst } = modelVersionsOrder(query.order_by);
  const model = await findModel(deps, search.name);
  if (!model) return { model_versions: [] };
  const filters = { runId: search.runId, tags: search.tags, minMetrics: {}, maxMetrics: {} };
  const limit = Math.min(query.max_results ?? MAX_VERSIONS_PER_PAGE, MAX_VERSIONS_PER_PAGE);
  const page = await listVersions(deps, search.name, filters, { limit, cursor: query.page_token, oldestFirst });
  return { model_versions: page.items.map((version) => toMlflowVersion(version, model.aliases)), next_page_token: page.nextCursor };
}

/** `run_id = '…'` without a name: the run index, then each version with its model's aliases. A run id no version can have finds none. */
async function searchRunVersions(
  deps: ListingDeps,
  runId: string,
  query: SearchQuery,
): Promise<{ model_versions: MlflowModelVersion[]; next_page_token?: string }> {
  assertRunOrderServed(query.order_by);
  if (!z.safeParse(runIdSchema, runId).success) return { model_versions: [] };
  const limit = Math.min(query.max_results ?? MAX_RUN_VERSIONS_PER_PAGE, MAX_RUN_VERSIONS_PER_PAGE);
  const page = await listRunVersionsAs(deps, runId, { limit, cursor: query.page_token }, async (versions) => {
    const aliases = await aliasesOfModels(deps, versions);
    return versions.map((version) => toMlflowVersion(version, aliases.get(version.model) ?? {}));
  });
  return { model_versions: page.items, next_page_token: page.nextCursor };
}

/** Each model's aliases, read once per model of `versions`. */
async function aliasesOfModels(deps: RegistryDeps, versions: readonly VersionView[]): Promise<Map<string, Record<string, number>>> {
  const names = [...new Set(versions.map((version) => version.model))];
  const models = await Promise.all(names.map((name) => deps.store.getModel(name)));
  return new Map(names.map((name, index) => [name, models[index]?.aliases ?? {}]));
}

/**
 * Where MLflow reads the version's bytes. A multi-file version's files are stored by content, under
 * no prefix MLflow could read as its directory: refused, naming the native download (its own
 * models:/ URI would send MLflow's client back here).
 */
export async function getModelVersionDownloadUri(deps: RegistryDeps, input: VersionRef): Promise<string> {
  const version = await getVersion(deps, input.name, { number: input.version });
  if (version.files)
    throw new MlflowRefusal(
      "INVALID_STATE",
      `Version ${version.version} of '${version.model}' holds ${version.files.count} files, each stored by its content: no one URI reads them. ` +
        `Download them with GET /models/${version.model}/versions/${version.version}/artifact (the registry CLI's pull), which lists each file's URL.`,
    );
  return downloadUriOf(version);
}

/** Sets one tag, or removes it (value undefined), on the version as it is when the change commits. */
export async function editModelVersionTag(deps: RegistryDeps, input: VersionRef & { key: string; value?: string }, who: Caller) {
  assertWritableTag(input.key);
  await updateVersion(
    deps,
    input.name,
    { number: input.version },
    (before) => ({ tags: editedTags(before.tags, input.key, input.value) }),
    who,
  );
}

/** MLflow's alias set is unconditional; the native PUT …/aliases/{alias} keeps compare-and-set. */
export async function setRegisteredModelAlias(deps: PromotionDeps, input: { name: string; alias: string; version: number }, who: Caller) {
  const path = parseOrThrow(aliasPath, { name: input.name, alias: input.alias }, "body");
  await setAlias(deps, path.name, path.alias, { version: input.version }, who);
}

export async function deleteRegisteredModelAlias(deps: PromotionDeps, input: { name: string; alias: string }, who: Caller) {
  const path = parseOrThrow(aliasPath, { name: input.name, alias: input.alias }, "body");
  await deleteAlias(deps, path.name, path.alias, who);
}

export async function getModelVersionByAlias(deps: RegistryDeps, input: { name: string; alias: string }): Promise<MlflowModelVersion> {
  const [model, view] = await Promise.all([getModel(deps, input.name), getVersion(deps, input.name, { alias: input.alias })]);
  return toMlflowVersion(view, model.aliases);
}

import { AliasNotFoundError, ModelNotFoundError, StageEmptyError, VersionNotFoundError, type DomainError } from "../domain/errors";
import type { AssignedStage } from "../domain/model-uri";
import { isBeingDeleted, isDeleted, toModelView, type ModelItem } from "../store/entities/model";
import { toVersionView, type VersionItem } from "../store/entities/version";
import type { VersionSelector, VersionView } from "../schemas/version";
import type { ModelView } from "../schemas/model";
import type { RegistryDeps } from "./deps";

/** The model item, or 404 ModelNotFound (saying so when an admin is deleting it). */
export async function requireModel(deps: RegistryDeps, name: string): Promise<ModelItem> {
  const model = await requireHistory(deps, name);
  if (isBeingDeleted(model)) throw ModelNotFoundError.beingDeleted(name);
  if (isDeleted(model)) throw new ModelNotFoundError(name);
  return model;
}

/** The model item of a name that has a history: a live model, one being deleted, or a deleted one's tombstone; else 404 ModelNotFound. */
export async function requireHistory(deps: RegistryDeps, name: string): Promise<ModelItem> {
  const model = await deps.store.getModelRecord(name);
  if (!model) throw new ModelNotFoundError(name);
  return model;
}

/**
 * The version `{v}` names now (number, v<semver>, stage, alias or latest), or the 404 that says why
 * there is none. A version whose manifest a deletion is taking apart is none, but to a deletion (`beingDeleted`).
 */
export async function requireVersion(
  deps: RegistryDeps,
  name: string,
  selector: VersionSelector,
  options: { beingDeleted?: boolean } = {},
): Promise<VersionItem> {
  const number = await versionNumberOf(deps, name, selector);
  const read = options.beingDeleted ? deps.store.getVersionRecord.bind(deps.store) : deps.store.getVersion.bind(deps.store);
  const item = number === undefined ? undefined : await read(name, number);
  if (item) return item;
  await requireModel(deps, name);
  throw nothingSelected(name, selector);
}

/** The version as it is now, read inside a change's plan (which re-runs on conflict). */
export async function rereadVersion(deps: RegistryDeps, target: VersionItem): Promise<VersionItem> {
  const latest = await deps.store.getVersion(target.model, target.version);
  if (!latest) throw new VersionNotFoundError(target.model, target.version);
  return latest;
}

/** The number of the version a `{v}` selector names now, or undefined when it names none. */
export async function versionNumberOf(deps: RegistryDeps, name: string, selector: VersionSelector): Promise<number | undefined> {
  if ("number" in selector) return selector.number;
  if ("semver" in selector) return deps.store.findVersionBySemver(name, selector.semver);
  if ("alias" in selector) return (await deps.store.getAlias(name, selector.alias))?.version;
  if ("stage" in selector) return (await findInStage(deps, name, selector.stage))?.version;
  return newestReadyVersion(deps, name);
}

/** What `latest` names: the newest READY version. */
async function newestReadyVersion(deps: RegistryDeps, name: string): Promise<number | undefined> {
  const model = await deps.store.getModel(name);
  return model && newestReadyOf(deps, model);
}

/** The model's view, whose `latestVersion` is the version `latest` names. */
export async function modelViewOf(deps: RegistryDeps, item: ModelItem): Promise<ModelView> {
  return toModelView(item, (await newestReadyOf(deps, item)) ?? null);
}

/** The newest READY version as the model item stores it; read from the versions for a model no change has touched since it was stored. */
async function newestReadyOf(deps: RegistryDeps, item: ModelItem): Promise<number | undefined> {
  if (item.latestReadyVersion !== undefined) return item.latestReadyVersion || undefined;
  const newestReady = await deps.store.listVersions(item.name, { status: "READY", minMetrics: {}, maxMetrics: {}, tags: {} }, { limit: 1 });
  return newestReady.items[0]?.version;
}

/** The 404 for a selector that names no version: an empty stage, an unknown alias, or a missing version. */
export function nothingSelected(name: string, selector: VersionSelector): DomainError {
  if ("stage" in selector) return new StageEmptyError(name, selector.stage);
  if ("alias" in selector) return new AliasNotFoundError(name, selector.alias);
  if ("latest" in selector) return new VersionNotFoundError(name, "latest (no version is READY)");
  return new VersionNotFoundError(name, "number" in selector ? selector.number : `v${selector.semver}`);
}

/**
 * The version now in a stage. Production comes from its pointer's snapshot: one GetItem.
 * Staging and Archived may hold several versions; like MLflow's `models:/<name>/Staging`, this
 * is the highest-numbered one (one Query on the stage index, which is eventually consistent).
 */
export async function findInStage(deps: RegistryDeps, name: string, stage: AssignedStage): Promise<VersionView | undefined> {
  if (stage === "Production") return (await deps.store.getProductionPointer(name))?.snapshot;
  const item = await deps.store.newestInStage(name, stage);
  return item && toVersionView(item);
}

/** The view of version `number`, if there is one. */
export async function findVersionView(deps: RegistryDeps, name: string, number: number | undefined): Promise<VersionView | undefined> {
  const item = number === undefined ? undefined : await deps.store.getVersion(name, number);
  return item && toVersionView(item);
}

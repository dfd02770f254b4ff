import { AliasNotFoundError, StageEmptyError, VersionNotFoundError, type DomainError } from "../domain/errors";
import type { ModelUri } from "../domain/model-uri";
import { toVersionView } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { AssignedStage, VersionSelector, VersionView } from "../schemas/version";
import type { ResolvedVersionView } from "../schemas/lifecycle";
import { requireModel } from "./models";
import type { RegistryDeps } from "./deps";

/** The number of the version a `{v}` selector names now, or undefined when it names none. */
export async function versionNumberOf(deps: RegistryDeps, name: string, selector: VersionSelector): Promise<number | undefined> {
  if ("number" in selector) return selector.number;
  if ("semver" in selector) return deps.store.findVersionBySemver(name, selector.semver);
  if ("alias" in selector) return (await deps.store.getAlias(name, selector.alias))?.version;
  if ("stage" in selector) return (await findInStage(deps, name, selector.stage))?.version;
  const newestReady = await deps.store.listVersions(name, { status: "READY", minMetrics: {}, maxMetrics: {}, tags: {} }, { limit: 1 });
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
export async function getStageVersion(deps: RegistryDeps, name: string, stage: AssignedStage): Promise<VersionView> {
  const view = await findInStage(deps, name, stage);
  if (view) return view;
  await requireModel(deps, name);
  throw new StageEmptyError(name, stage);
}

/** Every model's versions in a stage (deployment dashboards), in model name then version order. */
export async function listStageVersions(deps: RegistryDeps, stage: AssignedStage, page: { limit: number; cursor?: string }): Promise<Page<VersionView>> {
  const result = await deps.store.listStage(stage, page);
  return { items: result.items.map(toVersionView), nextCursor: result.nextCursor };
}

/**
 * Resolves a model URI (SPEC §2) to the version it names now.
 * 1. a stage form reads like GET …/stages/{stage} (Production: one GetItem);
 * 2. any other form finds the version number (label, alias item, newest READY) and reads the version;
 * 3. nothing named: 404 ModelNotFound, StageEmpty, AliasNotFound or VersionNotFound.
 */
export async function resolveModelUri(deps: RegistryDeps, target: ModelUri & { uri: string }): Promise<ResolvedVersionView> {
  const { name, selector } = target;
  const view = "stage" in selector ? await findInStage(deps, name, selector.stage) : await viewOf(deps, name, await versionNumberOf(deps, name, selector));
  if (view) return { ...view, resolvedFrom: target.uri };
  await requireModel(deps, name);
  throw nothingSelected(name, selector);
}

async function findInStage(deps: RegistryDeps, name: string, stage: AssignedStage): Promise<VersionView | undefined> {
  if (stage === "Production") return (await deps.store.getProductionPointer(name))?.snapshot;
  const item = await deps.store.newestInStage(name, stage);
  return item && toVersionView(item);
}

async function viewOf(deps: RegistryDeps, name: string, number: number | undefined): Promise<VersionView | undefined> {
  const item = number === undefined ? undefined : await deps.store.getVersion(name, number);
  return item && toVersionView(item);
}

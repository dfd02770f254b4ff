import { STAGES, type Stage } from "../domain/lifecycle";
import type { ModelItem } from "../store/entities/model";
import { toVersionView, type VersionItem } from "../store/entities/version";
import type { VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./resolve";

/**
 * The newest READY version in each of `stages` (every stage, None included, when none is given),
 * in that order, as MLflow's get-latest-versions answers; an empty stage is left out.
 * 1. read the model (404 ModelNotFound);
 * 2. Production and Staging from the model's stage map (one GetItem each), Archived from the stage
 *    index, None from the model's versions newest first: one read per stage, in parallel.
 * Only READY versions leave None, so only None needs the status filter.
 */
export async function latestVersions(deps: RegistryDeps, name: string, stages: readonly Stage[] = []): Promise<VersionView[]> {
  return latestVersionsOf(deps, await requireModel(deps, name), stages);
}

/** latestVersions for a model already read (a page of a model listing, say): no second read of the model. */
export async function latestVersionsOf(deps: RegistryDeps, model: ModelRef, stages: readonly Stage[] = []): Promise<VersionView[]> {
  const asked = stages.length > 0 ? [...new Set(stages)] : STAGES;
  const found = await Promise.all(asked.map((stage) => newestReadyIn(deps, model, stage)));
  return found.filter((item): item is VersionItem => item !== undefined).map(toVersionView);
}

type ModelRef = Pick<ModelItem, "name" | "stages">;

async function newestReadyIn(deps: RegistryDeps, model: ModelRef, stage: Stage): Promise<VersionItem | undefined> {
  const { name, stages } = model;
  if (stage === "Production") return stages.Production === undefined ? undefined : deps.store.getVersion(name, stages.Production);
  if (stage === "Staging") {
    const newest = stages.Staging?.at(-1);
    return newest === undefined ? undefined : deps.store.getVersion(name, newest);
  }
  if (stage === "Archived") return deps.store.newestInStage(name, stage);
  const page = await deps.store.listVersions(name, { stage, status: "READY", minMetrics: {}, maxMetrics: {}, tags: {} }, { limit: 1 });
  return page.items[0];
}

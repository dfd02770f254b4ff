import { withReadyVersion, type ModelItem } from "../store/entities/model";
import type { VersionItem } from "../store/entities/version";
import type { RegistryDeps } from "./deps";

/** The model after a change that leaves `version` as it is: a READY version may be the newest READY one, what `latest` names. */
export function noteReady(model: ModelItem, version: VersionItem): ModelItem {
  return version.status === "READY" ? withReadyVersion(model, version.version) : model;
}

/** The model once version `deleted` is gone: when it was the newest READY one, `latest` names the next newest READY version. */
export async function withoutReadyVersion(deps: RegistryDeps, model: ModelItem, deleted: number): Promise<ModelItem> {
  if (model.latestReadyVersion !== deleted) return model;
  return { ...model, latestReadyVersion: (await deps.store.newestReadyVersion(model.name, deleted)) ?? 0 };
}

import type { ModelView } from "../schemas/model";
import type { VersionStatus, VersionView } from "../schemas/version";
import { MlflowRefusal } from "./errors";
import type { MlflowModelVersion, MlflowRegisteredModel, MlflowTagInput } from "./schemas";

/** MLflow's run_link has no field here: it rides as a version tag under this key, and comes back as run_link. */
export const RUN_LINK_TAG = "mlflow.run_link";
/** Tags this API derives from the registry's own metadata, where MLflow has no field for it: read-only. */
const DERIVED_TAG_PREFIX = "registry.";

const MLFLOW_STATUS: Record<VersionStatus, MlflowModelVersion["status"]> = {
  PENDING_UPLOAD: "PENDING_REGISTRATION",
  VERIFYING: "PENDING_REGISTRATION",
  READY: "READY",
  FAILED: "FAILED_REGISTRATION",
};

const millis = (iso: string) => Date.parse(iso);
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** MLflow's `[{key, value}]` as a tag map, the last value winning as in MLflow's store. */
export function tagMap(tags: MlflowTagInput = []): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { key, value } of tags) {
    assertWritableTag(key);
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return map;
}

/** Whether `key` names one of the read-only tags this API derives from the version's own fields. */
export const isDerivedTag = (key: string): boolean => key.startsWith(DERIVED_TAG_PREFIX);

export function assertWritableTag(key: string): void {
  if (isDerivedTag(key))
    throw new MlflowRefusal(
      "INVALID_PARAMETER_VALUE",
      `Tag '${key}' is read-only: tags starting with '${DERIVED_TAG_PREFIX}' show the registry's own metadata. Choose another key.`,
    );
}

/** The registry's metadata MLflow has no field for, as read-only tags. */
function derivedTags(version: VersionView): Record<string, string> {
  const derived: Record<string, string> = { [`${DERIVED_TAG_PREFIX}uri`]: version.uri };
  if (version.semver) derived[`${DERIVED_TAG_PREFIX}semver`] = version.semver;
  if (version.artifact) derived[`${DERIVED_TAG_PREFIX}artifact_sha256`] = version.artifact.sha256;
  return derived;
}

/** Where a version's bytes are: its uploaded object's s3:// URI, else the source it was registered with. */
export const downloadUriOf = (version: VersionView): string => version.artifact?.uri ?? version.source ?? version.uri;

/** A version as MLflow's ModelVersion; `aliases` is the model's alias map (alias → version). */
export function toMlflowVersion(version: VersionView, aliases: Record<string, number>): MlflowModelVersion {
  const { [RUN_LINK_TAG]: runLink, ...tags } = version.tags;
  return {
    name: version.model,
    version: String(version.version),
    creation_timestamp: millis(version.createdAt),
    last_updated_timestamp: millis(version.updatedAt),
    user_id: version.createdBy,
    current_stage: version.stage,
    description: version.description,
    source: downloadUriOf(version),
    run_id: version.lineage.runId,
    status: MLFLOW_STATUS[version.status],
    status_message: (version.artifact ?? version.files)?.failureReason,
    tags: tagList({ ...tags, ...derivedTags(version) }),
    run_link: runLink,
    aliases: Object.entries(aliases)
      .filter(([, target]) => target === version.version)
      .map(([alias]) => alias),
  };
}

/** A model as MLflow's RegisteredModel, with the newest READY version of each stage. */
export function toMlflowModel(model: ModelView, latest: readonly VersionView[]): MlflowRegisteredModel {
  return {
    name: model.name,
    creation_timestamp: millis(model.createdAt),
    last_updated_timestamp: millis(model.updatedAt),
    user_id: model.createdBy,
    description: model.description,
    latest_versions: latest.map((version) => toMlflowVersion(version, model.aliases)),
    tags: tagList(model.tags),
    aliases: Object.entries(model.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

import type { Stage, VersionMetadata, VersionStatus, VersionView } from "../../schemas/version";
import type { ItemBase } from "../table";
import { modelPartition, padNumber } from "../keys";
import { toArtifactView, type ArtifactState } from "./artifact";

export const VERSION_ENTITY = "version";
const SCHEMA_VERSION = 1;
export const VERSION_SORT_PREFIX = "VERSION#";

export const versionKey = (name: string, version: number) => ({ pk: modelPartition(name), sk: `${VERSION_SORT_PREFIX}${padNumber(version)}` });

export const stageIndexPartition = (stage: string) => `STAGE#${stage}`;

/** Versions outside stage None appear in the sparse stage index: one Query lists a stage across models. */
export function stageIndexKey(name: string, version: number, stage: Stage): { gsi1pk?: string; gsi1sk?: string } {
  if (stage === "None") return {};
  return { gsi1pk: stageIndexPartition(stage), gsi1sk: `${name}#${padNumber(version)}` };
}

export interface VersionItem extends ItemBase, VersionMetadata {
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
  readonly model: string;
  readonly version: number;
  readonly semver?: string;
  readonly status: VersionStatus;
  readonly stage: Stage;
  readonly source?: string;
  /** Bytes uploaded to the registry's bucket (instead of `source`), and where their upload stands. */
  readonly artifact?: ArtifactState;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function newVersionItem(fields: {
  model: string;
  version: number;
  semver?: string;
  metadata: VersionMetadata;
  source?: string;
  artifact?: ArtifactState;
  status: VersionStatus;
  actor: string;
  now: string;
}): VersionItem {
  return {
    ...versionKey(fields.model, fields.version),
    entity: VERSION_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    ...fields.metadata,
    model: fields.model,
    version: fields.version,
    semver: fields.semver,
    status: fields.status,
    stage: "None",
    source: fields.source,
    artifact: fields.artifact,
    createdBy: fields.actor,
    createdAt: fields.now,
    updatedAt: fields.now,
  };
}

export function toVersionView(item: VersionItem): VersionView {
  const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, entity: _entity, schemaVersion: _schema, artifact, ...view } = item;
  return { ...view, ...(artifact ? { artifact: toArtifactView(artifact) } : {}), uri: `models:/${item.model}/${item.version}` };
}

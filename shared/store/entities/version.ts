import * as z from "../../zod";
import type { StageMove } from "../../domain/lifecycle";
import {
  stage as stageSchema,
  versionMetadata,
  versionStatus,
  type Stage,
  type VersionMetadata,
  type VersionStatus,
  type VersionView,
} from "../../schemas/version";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition, padNumber } from "../keys";
import { artifactState, toArtifactView, type ArtifactState } from "./artifact";
import { manifestState, toFilesView, type ManifestState } from "./manifest";

export const VERSION_ENTITY = "version";
const SCHEMA_VERSION = 1;
export const VERSION_SORT_PREFIX = "VERSION#";

export const versionKey = (name: string, version: number) => ({
  pk: modelPartition(name),
  sk: `${VERSION_SORT_PREFIX}${padNumber(version)}`,
});

export const stageIndexPartition = (stage: string) => `STAGE#${stage}`;

/** Versions outside stage None appear in the sparse stage index: one Query lists a stage across models. */
function stageIndexKey(name: string, version: number, stage: Stage): { gsi1pk?: string; gsi1sk?: string } {
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
  /** Several uploaded files (instead of `source` or `artifact`), and where their upload stands. */
  readonly manifest?: ManifestState;
  /** Set by an admin: no retention rule deletes the version. */
  readonly protected?: boolean;
  /** A deletion that sheds the items it owns a commit at a time marked it first (see isBeingRemoved). */
  readonly removing?: boolean;
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
  manifest?: ManifestState;
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
    manifest: fields.manifest,
    createdBy: fields.actor,
    createdAt: fields.now,
    updatedAt: fields.now,
  };
}

export const versionFromItem = itemReader(VERSION_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(VERSION_ENTITY, SCHEMA_VERSION),
    ...z.built(versionMetadata).shape,
    gsi1pk: z.optional(z.string()),
    gsi1sk: z.optional(z.string()),
    model: z.string(),
    version: z.int(),
    semver: z.optional(z.string()),
    status: versionStatus,
    stage: stageSchema,
    source: z.optional(z.string()),
    artifact: z.optional(artifactState()),
    manifest: z.optional(manifestState()),
    protected: z.optional(z.boolean()),
    removing: z.optional(z.boolean()),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);

/**
 * A version whose deletion began taking it apart a commit at a time (its manifest's chunks, or the items it owns), after
 * marking it: from the mark on it is no version to any read but that deletion's, as if the deletion had already committed.
 */
export const isBeingRemoved = (version: VersionItem): boolean => version.removing === true || version.manifest?.chunks?.removing === true;

/** The version an item holds, unless it is being removed: how every read that answers versions reads one. */
export function liveVersionFromItem(item: Record<string, unknown>): VersionItem | undefined {
  const version = versionFromItem(item);
  return isBeingRemoved(version) ? undefined : version;
}

export function toVersionView(item: VersionItem): VersionView {
  const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, entity: _entity, schemaVersion: _schema, artifact, manifest, ...view } = item;
  return {
    ...view,
    ...(artifact ? { artifact: toArtifactView(artifact) } : {}),
    ...(manifest ? { files: toFilesView(manifest) } : {}),
    uri: `models:/${item.model}/${item.version}`,
  };
}

/** A newly registered version. Invariant: a version number is handed out once. */
export const putNewVersion = (item: VersionItem): Write => ({ Put: { Item: item, ...expect("pk", null) } });

/** The version with new metadata; it must still exist (a deletion in between re-plans). */
export const replaceVersion = (after: VersionItem): Write => ({ Put: { Item: after, ConditionExpression: "attribute_exists(pk)" } });

/** Replaces the version item, conditioned on the status that was read (two completions cannot both settle it). */
export const replaceIfStatus = (after: VersionItem, seen: VersionStatus): Write => ({
  Put: {
    Item: after,
    ConditionExpression: "#status = :seen",
    ExpressionAttributeNames: { "#status": "status" },
    ExpressionAttributeValues: { ":seen": seen },
  },
});

/** The version as `moveStage` leaves it: in stage `to`, in or out of the stage index. */
export function movedTo(item: VersionItem, to: Stage, now: string): VersionItem {
  const { gsi1pk: _pk, gsi1sk: _sk, ...rest } = item;
  return { ...rest, ...stageIndexKey(item.model, item.version, to), stage: to, updatedAt: now };
}

/**
 * Moves a version to another stage, in or out of the stage index. `status` is the one the move was
 * planned with: READY, except for a version that never became READY being archived.
 */
export function moveStage(name: string, move: StageMove, now: string, status: VersionStatus = "READY"): Write {
  const index = stageIndexKey(name, move.version, move.to);
  return {
    Update: {
      Key: versionKey(name, move.version),
      UpdateExpression: "SET #stage = :to, updatedAt = :now, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk",
      // Invariant: a version moves only from the stage the move was planned from, with the status it was planned with.
      ConditionExpression: "#stage = :from AND #status = :status",
      ExpressionAttributeNames: { "#stage": "stage", "#status": "status" },
      ExpressionAttributeValues: {
        ":to": move.to,
        ":from": move.from,
        ":status": status,
        ":now": now,
        ":gsi1pk": index.gsi1pk,
        ":gsi1sk": index.gsi1sk,
      },
    },
  };
}

/**
 * Deletes a version. Invariant: it is still in the stage and status it was judged deletable in (a
 * concurrent restore, or an upload completing, re-plans).
 */
export const deleteUnused = (seen: VersionItem): Write => ({
  Delete: {
    Key: versionKey(seen.model, seen.version),
    ConditionExpression: "#stage = :stage AND #status = :status",
    ExpressionAttributeNames: { "#stage": "stage", "#status": "status" },
    ExpressionAttributeValues: { ":stage": seen.stage, ":status": seen.status },
  },
});

/**
 * A deletion begins shedding the items the version owns: from now on only that deletion uses the version.
 * Invariant: the version is still in the stage and status it was judged deletable in.
 */
export const startRemoval = (seen: VersionItem): Write => ({
  Update: {
    Key: versionKey(seen.model, seen.version),
    UpdateExpression: "SET #removing = :true",
    ConditionExpression: "#stage = :stage AND #status = :status",
    ExpressionAttributeNames: { "#removing": "removing", "#stage": "stage", "#status": "status" },
    ExpressionAttributeValues: { ":true": true, ":stage": seen.stage, ":status": seen.status },
  },
});

/** Checks that the version is still as read: PENDING_UPLOAD with the same upload (its artifact's, or the manifest file's at index `file`). */
export const checkUploadInProgress = (seen: VersionItem, file?: number): Write => {
  const [uploadId, seenId] =
    file === undefined
      ? ["artifact.uploadId", seen.artifact?.uploadId]
      : [`#manifest.#files[${file}].uploadId`, seen.manifest?.files[file]?.uploadId];
  return {
    ConditionCheck: {
      Key: versionKey(seen.model, seen.version),
      ConditionExpression: `#status = :pending AND ${uploadId} = :uploadId`,
      ExpressionAttributeNames: { "#status": "status", ...(file === undefined ? {} : { "#manifest": "manifest", "#files": "files" }) },
      ExpressionAttributeValues: { ":pending": "PENDING_UPLOAD", ":uploadId": seenId },
    },
  };
};

/** Checks that a manifest's version is still VERIFYING in the verification started at `startedAt` (a file's progress written apart rides on it). */
export const checkInVerification = (name: string, version: number, startedAt: string): Write => ({
  ConditionCheck: {
    Key: versionKey(name, version),
    ConditionExpression: "#status = :verifying AND #manifest.verificationStartedAt = :startedAt",
    ExpressionAttributeNames: { "#status": "status", "#manifest": "manifest" },
    ExpressionAttributeValues: { ":verifying": "VERIFYING", ":startedAt": startedAt },
  },
});

import { ModelNotFoundError, PayloadTooLargeError, SemverConflictError, ValidationError } from "../domain/errors";
import { enforceNamingPolicy } from "../domain/naming";
import { bumpSemver, highestSemver } from "../domain/semver";
import { newModelItem, type ModelItem } from "../store/entities/model";
import { newVersionItem, toVersionView, type VersionItem } from "../store/entities/version";
import { newSemverLabelItem } from "../store/entities/semver-label";
import { newDatasetLinkItem } from "../store/entities/dataset-link";
import type { GuardedWrite } from "../store/model-change";
import type { Page } from "../store/pages";
import type { VersionFilters } from "../store/registry-store";
import { versionMetadata, type RegisterVersionInput, type UpdateVersionInput, type VersionMetadata, type VersionSelector, type VersionView } from "../schemas/version";
import type { Actor, ArtifactDeps, RegistryDeps } from "./deps";
import type { UploadView } from "../schemas/artifact";
import { addReference, artifactSummary } from "../store/entities/artifact";
import { declaredArtifact, declarePartsWrites, readyAtOnce, uploadPreparer, type PreparedUpload } from "./artifact-uploads";
import { newProductionPointer } from "../store/entities/stage-pointer";
import { nothingSelected, versionNumberOf } from "./resolve";
import { describeChanges, requireModel, withWarnings } from "./models";

export const MAX_METADATA_BYTES = 64 * 1024;

export interface RegisteredVersion extends VersionView {
  readonly upload: UploadView | null;
  readonly warnings?: string[];
}

/**
 * Registers a new version of a model.
 * 1. reject metadata over 64 KiB;
 * 2. read the model; create it (naming policy applies) when absent;
 * 3. take the next version number and the semver label (given, or bumped from the highest one);
 * 4. with an `artifact`: if the bucket already holds these bytes, verified, the version is READY at once
 *    (no upload); otherwise it is PENDING_UPLOAD and the answer carries presigned upload URLs;
 * 5. write model counter, version, label, dataset links, the artifact's reference count, declared part
 *    digests and history in one transaction; a concurrent registration makes it re-read and retry,
 *    so numbers stay gapless and unique.
 */
export async function registerVersion(deps: ArtifactDeps, name: string, input: RegisterVersionInput, who: Actor): Promise<RegisteredVersion> {
  const { semver: requestedSemver, bump, source, artifact: declared, ...metadata } = input;
  assertMetadataSize(metadata);
  const prepareUpload = declared && uploadPreparer(deps, declaredArtifact(deps, declared), declared.parts ?? []);
  let warnings: string[] = [];
  let upload: UploadView | null = null;
  const version = await deps.store.change(who, name, async (current, now) => {
    warnings = current ? [] : enforceNamingPolicy(name, deps.namingPolicy);
    const model = current ?? newModelItem({ name, actor: who.actor, now });
    const number = model.latestVersion + 1;
    assertParentsExist(metadata, model);
    const semver = requestedSemver ?? (bump ? bumpSemver(model.highestSemver, bump) : undefined);
    const prepared = await prepareUpload?.();
    upload = prepared?.upload ?? null;
    // An external source holds its own bytes: nothing to verify, so the version is usable at once.
    const status = prepared && prepared.upload !== null ? "PENDING_UPLOAD" : "READY";
    const item = newVersionItem({ model: name, version: number, semver, metadata, source, artifact: prepared?.artifact, status, actor: who.actor, now });
    return {
      model: { ...model, latestVersion: number, highestSemver: highestSemver(model.highestSemver, semver) },
      writes: [versionWrite(deps, item), ...labelWrites(deps, name, semver, number), ...datasetWrites(deps, item), ...artifactWrites(deps, name, number, prepared, declared?.parts)],
      history: [
        ...(current ? [] : [{ action: "MODEL_CREATED" as const }]),
        // An artifact registration has no source: no `changes` then, rather than an empty map.
        { action: "VERSION_REGISTERED", version: number, semver, artifact: prepared && artifactSummary(prepared.artifact), ...(source ? { changes: { source } } : {}) },
        ...(prepared ? readyAtOnce(number, prepared) : []),
      ],
      result: () => item,
    };
  });
  return withWarnings({ ...toVersionView(version), upload }, warnings);
}

export async function getVersion(deps: RegistryDeps, name: string, selector: VersionSelector): Promise<VersionView> {
  return toVersionView(await requireVersion(deps, name, selector));
}

export async function listVersions(deps: RegistryDeps, name: string, filters: VersionFilters, page: { limit: number; cursor?: string }): Promise<Page<VersionView>> {
  await requireModel(deps, name);
  const result = await deps.store.listVersions(name, filters, page);
  return { items: result.items.map(toVersionView), nextCursor: result.nextCursor };
}

/** Changes the only mutable metadata, description and tags, recorded as VERSION_UPDATED with before and after. */
export async function updateVersion(deps: RegistryDeps, name: string, selector: VersionSelector, patch: UpdateVersionInput, who: Actor): Promise<VersionView> {
  const updated = await deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const before = await requireVersion(deps, name, selector);
    const after: VersionItem = { ...before, description: patch.description ?? before.description, tags: patch.tags ?? before.tags, updatedAt: now };
    assertMetadataSize(metadataOf(after));
    return {
      model: current,
      writes: [{ write: { Put: { TableName: deps.store.tableName, Item: after, ConditionExpression: "attribute_exists(pk)" } } }, ...productionSnapshotWrites(deps, after)],
      history: [{ action: "VERSION_UPDATED", version: before.version, changes: describeChanges(before, after, ["description", "tags"]) }],
      result: () => after,
    };
  });
  return toVersionView(updated);
}

/** The version `{v}` names now (number, v<semver>, stage, alias or latest), or the 404 that says why there is none. */
export async function requireVersion(deps: RegistryDeps, name: string, selector: VersionSelector): Promise<VersionItem> {
  const number = await versionNumberOf(deps, name, selector);
  const item = number === undefined ? undefined : await deps.store.getVersion(name, number);
  if (item) return item;
  await requireModel(deps, name);
  throw nothingSelected(name, selector);
}

/** The version in Production is also on its stage pointer, as a snapshot: keep that in step. */
function productionSnapshotWrites(deps: RegistryDeps, after: VersionItem): GuardedWrite[] {
  if (after.stage !== "Production") return [];
  // Invariant: the pointer's snapshot belongs to the version that holds Production.
  const pointer = newProductionPointer(toVersionView(after));
  return [{ write: { Put: { TableName: deps.store.tableName, Item: pointer, ConditionExpression: "version = :version", ExpressionAttributeValues: { ":version": after.version } } } }];
}

const METADATA_FIELDS = Object.keys(versionMetadata.shape) as (keyof VersionMetadata)[];

function metadataOf(item: VersionItem): VersionMetadata {
  return Object.fromEntries(METADATA_FIELDS.map((field) => [field, item[field]])) as VersionMetadata;
}

function assertMetadataSize(metadata: VersionMetadata): void {
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > MAX_METADATA_BYTES) {
    throw new PayloadTooLargeError(`Version metadata is ${bytes} bytes; the limit is ${MAX_METADATA_BYTES} (64 KiB). Keep large data (feature statistics, plots) in the artifact and reference it.`, {
      bytes,
      limit: MAX_METADATA_BYTES,
    });
  }
}

function assertParentsExist(metadata: VersionMetadata, model: ModelItem): void {
  const unknown = metadata.lineage.parentVersions.filter((parent) => parent > model.latestVersion);
  if (unknown.length > 0) {
    throw new ValidationError(`lineage.parentVersions names versions that do not exist yet: ${unknown.join(", ")}.`, [
      { path: "lineage.parentVersions", message: `model '${model.name}' has versions 1..${model.latestVersion}` },
    ]);
  }
}

function versionWrite(deps: RegistryDeps, item: VersionItem): GuardedWrite {
  // Invariant: a version number is handed out once.
  return { write: { Put: { TableName: deps.store.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" } } };
}

/** One more version declares these bytes (the ref counts them), and the part digests it declared. */
function artifactWrites(deps: ArtifactDeps, name: string, version: number, prepared: PreparedUpload | undefined, parts: readonly { partNumber: number; sha256: string }[] = []): GuardedWrite[] {
  if (!prepared) return [];
  return [{ write: addReference(deps.store.tableName, prepared.artifact, prepared.upload === null) }, ...declarePartsWrites(deps, name, version, prepared.artifact, parts)];
}

function labelWrites(deps: RegistryDeps, name: string, semver: string | undefined, version: number): GuardedWrite[] {
  if (!semver) return [];
  // Invariant: a semver label names one version of a model.
  return [
    {
      write: { Put: { TableName: deps.store.tableName, Item: newSemverLabelItem(name, semver, version), ConditionExpression: "attribute_not_exists(pk)" } },
      onConflict: () => new SemverConflictError(name, semver),
    },
  ];
}

function datasetWrites(deps: RegistryDeps, item: VersionItem): GuardedWrite[] {
  const ids = new Set(item.lineage.datasets.map((d) => d.id));
  return [...ids].map((datasetId) => ({
    write: {
      Put: {
        TableName: deps.store.tableName,
        Item: newDatasetLinkItem({ model: item.model, version: item.version, datasetId, datasetVersion: item.lineage.datasets.find((d) => d.id === datasetId)?.version }),
      },
    },
  }));
}

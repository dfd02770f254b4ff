import { SemverConflictError, ValidationError } from "../domain/errors";
import { enforceNamingPolicy } from "../domain/naming";
import { bumpSemver, highestSemver } from "../domain/semver";
import { addReference } from "../store/entities/artifact";
import { historyArtifact } from "../store/entities/manifest";
import { linkDatasets } from "../store/entities/dataset-link";
import { linkRun } from "../store/entities/run-link";
import { indexMetrics } from "../store/entities/metric-index";
import { newModelItem, type ModelItem } from "../store/entities/model";
import { putSemverLabel } from "../store/entities/semver-label";
import { newVersionItem, putNewVersion, toVersionView, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { FileUploadView, UploadView } from "../schemas/artifact";
import type { RegisterVersionInput, VersionMetadata, VersionView } from "../schemas/version";
import {
  declaredArtifact,
  declaredManifest,
  declarePartsWrites,
  manifestPartsWrites,
  manifestPreparer,
  manifestReferenceWrites,
  readyAtOnce,
  uploadPreparer,
  type PreparedUpload,
} from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { noteReady } from "./latest-ready";
import { assertMetadataSize } from "./version-metadata";
import { withWarnings } from "./warnings";

export interface RegisteredVersion extends VersionView {
  readonly upload: UploadView | null;
  readonly uploads?: FileUploadView[];
  readonly warnings?: string[];
}

/**
 * Registers a new version of a model.
 * 1. reject metadata over 64 KiB;
 * 2. read the model; create it (naming policy applies) when absent;
 * 3. take the next version number and the semver label (given, or bumped from the highest one);
 * 4. with an `artifact`: if the bucket already holds these bytes, verified, the version is READY at once
 *    (no upload); otherwise it is PENDING_UPLOAD and the answer carries presigned upload URLs;
 *    with `files`: the same per object, the answer carrying each file's upload (null: nothing to send;
 *    a file over the single-PUT limit gets a multipart upload with URLs for the parts declared for it);
 * 5. write model counter, version, label, dataset and run links, key metric index items, the reference count of each object, declared part
 *    digests and history in one transaction; a concurrent registration makes it re-read and retry,
 *    so numbers stay gapless and unique.
 */
export async function registerVersion(
  deps: ArtifactDeps,
  name: string,
  input: RegisterVersionInput,
  who: Actor,
): Promise<RegisteredVersion> {
  const { semver: requestedSemver, bump, source, artifact: declared, files, ...metadata } = input;
  assertMetadataSize(metadata);
  const prepareUpload = declared && uploadPreparer(deps, declaredArtifact(deps, declared), declared.parts ?? []);
  const declaredParts = files?.map((file) => file.parts);
  const prepareFiles = files && manifestPreparer(deps, declaredManifest(deps, files), declaredParts);
  let warnings: string[] = [];
  let upload: UploadView | null = null;
  let uploads: FileUploadView[] | undefined;
  const outcome = await deps.store.changeOrConflict(who, name, async (current, now) => {
    warnings = current ? [] : enforceNamingPolicy(name, deps.namingPolicy);
    const model = current ?? newModelItem({ name, actor: who.actor, now });
    const number = model.latestVersion + 1;
    assertParentsExist(metadata, model);
    const semver = requestedSemver ?? (bump ? bumpSemver(model.highestSemver, bump) : undefined);
    const prepared = await prepareUpload?.();
    const preparedFiles = await prepareFiles?.();
    upload = prepared?.upload ?? null;
    uploads = preparedFiles?.uploads;
    // An external source holds its own bytes: nothing to verify, so the version is usable at once.
    const waitsForBytes = (prepared && prepared.upload !== null) || (preparedFiles && !preparedFiles.allStored);
    const status = waitsForBytes ? "PENDING_UPLOAD" : "READY";
    const item = newVersionItem({
      model: name,
      version: number,
      semver,
      metadata,
      source,
      artifact: prepared?.artifact,
      manifest: preparedFiles?.manifest,
      status,
      actor: who.actor,
      now,
    });
    return {
      model: noteReady({ ...model, latestVersion: number, highestSemver: highestSemver(model.highestSemver, semver) }, item),
      writes: [
        { write: putNewVersion(item) },
        ...labelWrites(name, semver, number),
        ...lineageWrites(item),
        ...indexMetrics(item, model.keyMetrics ?? []).map((write) => ({ write })),
        ...artifactWrites(name, number, prepared, declared?.parts),
        ...(preparedFiles ? manifestReferenceWrites(preparedFiles.manifest) : []),
        ...(preparedFiles ? manifestPartsWrites({ model: name, version: number }, preparedFiles.manifest, declaredParts ?? []) : []),
      ],
      history: [
        ...(current ? [] : [{ action: "MODEL_CREATED" as const }]),
        // An artifact registration has no source: no `changes` then, rather than an empty map.
        {
          action: "VERSION_REGISTERED",
          version: number,
          semver,
          artifact: historyArtifact(item),
          ...(source ? { changes: { source } } : {}),
        },
        ...(prepared ? readyAtOnce(number, prepared) : []),
        ...(preparedFiles?.allStored ? [{ action: "VERSION_READY" as const, version: number, artifact: historyArtifact(item) }] : []),
      ],
      result: () => item,
    };
  });
  if ("conflict" in outcome) throw new SemverConflictError(name, outcome.conflict.semverTaken);
  return withWarnings({ ...toVersionView(outcome.answer), upload, ...(uploads ? { uploads } : {}) }, warnings);
}

function assertParentsExist(metadata: VersionMetadata, model: ModelItem): void {
  const unknown = metadata.lineage.parentVersions.filter((parent) => parent > model.latestVersion);
  if (unknown.length > 0) {
    throw new ValidationError(`lineage.parentVersions names versions that do not exist yet: ${unknown.join(", ")}.`, [
      { path: "lineage.parentVersions", message: `model '${model.name}' has versions 1..${model.latestVersion}` },
    ]);
  }
}

/** One more version declares these bytes (the ref counts them), and the part digests it declared. */
function artifactWrites(
  name: string,
  version: number,
  prepared: PreparedUpload | undefined,
  parts: readonly { partNumber: number; sha256: string }[] = [],
): GuardedWrite[] {
  if (!prepared) return [];
  return [
    { write: addReference(prepared.artifact, prepared.upload === null) },
    ...declarePartsWrites({ model: name, version }, prepared.artifact, parts),
  ];
}

/** The label, unless another version holds it: that is 409 SemverConflict. */
function labelWrites(name: string, semver: string | undefined, version: number): GuardedWrite<{ semverTaken: string }>[] {
  if (!semver) return [];
  return [{ write: putSemverLabel(name, semver, version), conflict: { semverTaken: semver } }];
}

/** The index links that find the version by its lineage: its datasets and its run. */
const lineageWrites = (item: VersionItem): GuardedWrite[] => [...linkDatasets(item), ...linkRun(item)].map((write) => ({ write }));

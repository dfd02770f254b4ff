import { ModelNotFoundError, SemverConflictError, ValidationError } from "../domain/errors";
import { enforceNamingPolicy } from "../domain/naming";
import { bumpSemver, highestSemver } from "../domain/semver";
import { addReference } from "../store/entities/artifact";
import {
  fileCount,
  filesCursor,
  filesSummary,
  historyArtifact,
  listingSha256,
  pathFingerprints,
  type ManifestFile,
  type ManifestState,
} from "../store/entities/manifest";
import { cutIntoChunks, needsChunks, noteChunkWritten, putManifestChunk, type ManifestChunkItem } from "../store/entities/manifest-chunk";
import { linkDatasets } from "../store/entities/dataset-link";
import { linkRun } from "../store/entities/run-link";
import { indexMetrics } from "../store/entities/metric-index";
import { newModelItem, type ModelItem } from "../store/entities/model";
import { putSemverLabel } from "../store/entities/semver-label";
import { newVersionItem, putNewVersion, toVersionView, type VersionItem } from "../store/entities/version";
import { unchanged, type GuardedWrite } from "../store/model-change";
import type { FileUploadView, PartDigest, UploadView } from "../schemas/artifact";
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
import { rereadVersion } from "./resolve";

export interface RegisteredVersion extends VersionView {
  readonly upload: UploadView | null;
  readonly uploads?: FileUploadView[];
  readonly nextUploadsCursor?: string;
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
 *    so numbers stay gapless and unique;
 * 6. a manifest larger than one commit goes in chunks: the first with the version (step 5), each
 *    other with its references and part digests in a commit of its own (writeChunk); the answer
 *    carries the first UPLOADS_PER_ANSWER files' uploads and the cursor of `…/artifact/uploads` for the rest.
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
  const declaredParts = files?.map((file) => file.parts) ?? [];
  const declaredFiles = files && declaredManifest(deps, files);
  const chunked = declaredFiles !== undefined && needsChunks(declaredFiles);
  const prepareFiles = declaredFiles && manifestPreparer(deps, declaredFiles, declaredParts, chunked ? UPLOADS_PER_ANSWER : undefined);
  let warnings: string[] = [];
  let upload: UploadView | null = null;
  let uploads: FileUploadView[] | undefined;
  let chunks: ManifestChunkItem[] = [];
  const outcome = await deps.store.changeOrConflict(who, name, async (current, now) => {
    warnings = current ? [] : enforceNamingPolicy(name, deps.namingPolicy);
    const model = current ?? newModelItem({ name, actor: who.actor, now });
    const number = model.latestVersion + 1;
    await assertParentsExist(deps, metadata, model);
    const semver = requestedSemver ?? (bump ? bumpSemver(model.highestSemver, bump) : undefined);
    const prepared = await prepareUpload?.();
    const preparedFiles = await prepareFiles?.();
    upload = prepared?.upload ?? null;
    uploads = preparedFiles?.uploads;
    chunks = chunked && preparedFiles ? cutIntoChunks(name, number, preparedFiles.manifest.files) : [];
    // An external source holds its own bytes: nothing to verify, so the version is usable at once.
    // A chunked manifest is complete only once every chunk is written: it waits for its completion.
    const waitsForBytes = (prepared && prepared.upload !== null) || (preparedFiles && !preparedFiles.allStored) || chunked;
    const status = waitsForBytes ? "PENDING_UPLOAD" : "READY";
    const item = newVersionItem({
      model: name,
      version: number,
      semver,
      metadata,
      source,
      artifact: prepared?.artifact,
      manifest: preparedFiles && (chunked ? chunkedManifest(preparedFiles.manifest.files, chunks) : preparedFiles.manifest),
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
        ...(preparedFiles ? manifestWrites(name, number, chunked ? chunks[0] : preparedFiles.manifest.files, declaredParts) : []),
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
        ...(preparedFiles?.allStored && !chunked
          ? [{ action: "VERSION_READY" as const, version: number, artifact: historyArtifact(item) }]
          : []),
      ],
      result: () => item,
    };
  });
  if ("conflict" in outcome) throw new SemverConflictError(name, outcome.conflict.semverTaken);
  for (const chunk of chunks.slice(1)) await writeChunk(deps, who, outcome.answer, chunk, declaredParts);
  const registered = chunks.length > 0 ? allChunksWritten(outcome.answer) : outcome.answer;
  return withWarnings({ ...toVersionView(registered), upload, ...(uploads ? uploadsAnswer(registered, uploads) : {}) }, warnings);
}

/** At most this many files' uploads in a registration's answer (it is replayed from one item of at most 400 KB): `…/artifact/uploads` pages the rest. */
export const UPLOADS_PER_ANSWER = 50;

/** The uploads the answer carries, and where the plan goes on when it carries only the first ones. */
function uploadsAnswer(version: VersionItem, uploads: FileUploadView[]): { uploads: FileUploadView[]; nextUploadsCursor?: string } {
  return { uploads, ...(uploads.length < fileCount(version) ? { nextUploadsCursor: filesCursor(version, uploads.length) } : {}) };
}

/** A chunked manifest on the version item: its summary and where each chunk starts, the first chunk written. */
function chunkedManifest(files: readonly ManifestFile[], chunks: readonly ManifestChunkItem[]): ManifestState {
  return {
    files: [],
    chunks: {
      starts: chunks.map((chunk) => chunk.first),
      written: 1,
      ...filesSummary(files),
      listingSha256: listingSha256(files),
      pathFingerprints: pathFingerprints(files),
    },
  };
}

/** The version with `written` of its manifest's chunks written. */
const withChunksWritten = (version: VersionItem, written: number): VersionItem => {
  const { manifest } = version;
  if (!manifest?.chunks) return version;
  return { ...version, manifest: { ...manifest, chunks: { ...manifest.chunks, written } } };
};

const allChunksWritten = (version: VersionItem): VersionItem => withChunksWritten(version, version.manifest?.chunks?.starts.length ?? 0);

/** What files take of the commit that writes them: their chunk (when chunked), a reference per object they carry first, their part digests. */
function manifestWrites(
  name: string,
  version: number,
  files: ManifestChunkItem | readonly ManifestFile[] | undefined,
  declaredParts: readonly (readonly PartDigest[] | undefined)[],
): GuardedWrite[] {
  if (!files) return [];
  if (!("chunk" in files))
    return [...manifestReferenceWrites(files), ...manifestPartsWrites({ model: name, version }, files, declaredParts)];
  const chunkFiles = files.files.map((file, i) => ({ ...file, index: files.first + i }));
  return [
    { write: putManifestChunk(files) },
    ...manifestReferenceWrites(chunkFiles),
    ...manifestPartsWrites({ model: name, version }, chunkFiles, declaredParts),
  ];
}

/**
 * One more chunk of a registration's manifest, in a commit of its own (re-planned on contention):
 * conditioned on the version still PENDING_UPLOAD with exactly the chunks before it written, so it
 * applies once, and never to a version a deletion has begun taking apart. The first attempt plans
 * on the version as this registration left it, without reading it: if anything else changed it,
 * that condition fails, and the attempts after it re-read the version.
 */
async function writeChunk(
  deps: ArtifactDeps,
  who: Actor,
  target: VersionItem,
  chunk: ManifestChunkItem,
  declaredParts: readonly (readonly PartDigest[] | undefined)[],
): Promise<void> {
  let leftByThisRegistration: VersionItem | undefined = withChunksWritten(target, chunk.chunk);
  await deps.store.change(who, target.model, async (current) => {
    if (!current) throw new ModelNotFoundError(target.model);
    const latest = leftByThisRegistration ?? (await rereadVersion(deps, target));
    leftByThisRegistration = undefined;
    if ((latest.manifest?.chunks?.written ?? 0) > chunk.chunk) return unchanged(undefined);
    return {
      model: current,
      writes: [{ write: noteChunkWritten(latest) }, ...manifestWrites(target.model, target.version, chunk, declaredParts)],
      history: [],
      result: () => undefined,
    };
  });
}

/** 400 when lineage.parentVersions names a version not registered yet, or one deleted since: a parent is a version the model has. */
async function assertParentsExist(deps: ArtifactDeps, metadata: VersionMetadata, model: ModelItem): Promise<void> {
  const parents = metadata.lineage.parentVersions;
  const unknown = parents.filter((parent) => parent > model.latestVersion);
  if (unknown.length > 0) {
    throw new ValidationError(`lineage.parentVersions names versions that do not exist yet: ${unknown.join(", ")}.`, [
      { path: "lineage.parentVersions", message: `model '${model.name}' has versions 1..${model.latestVersion}` },
    ]);
  }
  const existing = await deps.store.existingVersions(model.name, parents);
  const deleted = parents.filter((parent) => !existing.has(parent));
  if (deleted.length > 0) {
    throw new ValidationError(`lineage.parentVersions names versions that were deleted: ${deleted.join(", ")}.`, [
      { path: "lineage.parentVersions", message: `model '${model.name}' no longer has version ${deleted.join(", ")}` },
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

import { assertPartNumbers } from "../domain/artifacts";
import { ModelNotFoundError, ValidationError } from "../domain/errors";
import type { VersionFile } from "../store/entities/manifest";
import { checkChunkUploadInProgress, chunkHolding } from "../store/entities/manifest-chunk";
import type { Write } from "../store/writes";
import { loadVersionFiles } from "./manifest-files";
import { checkUploadInProgress, type VersionItem } from "../store/entities/version";
import type { PartUrlsInput, UploadView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import { redeclarePartsWrites, multipartUpload, uploadPlanOf } from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { requireVersion, rereadVersion } from "./resolve";
import { notUploading, requireUploadedFiles } from "./version-artifact";

/**
 * Fresh URLs for parts of a multipart upload: after the first ones expired, for parts not declared
 * at registration, or for the parts beyond the ones a registration answers.
 * 1. `path` names the file (optional for a single artifact); the file must travel in parts and the
 *    part numbers be within it (a single-PUT file: 400);
 * 2. the version must be PENDING_UPLOAD with the file's bytes still to send (held already: 400);
 * 3. record the declared digests (merged onto earlier ones, the file's own item) in the model's change;
 * 4. presign a URL per part, each signing its part's digest.
 */
export async function requestPartUrls(
  deps: ArtifactDeps,
  name: string,
  selector: VersionSelector,
  input: PartUrlsInput,
  who: Actor,
): Promise<UploadView> {
  const target = await requireVersion(deps, name, selector);
  requireUploadedFiles(target);
  assertPartNumbers(
    uploadPlanOf(namedFile(target, await loadVersionFiles(deps, target), input.path)),
    input.parts.map((p) => p.partNumber),
    "body.parts",
  );
  let file: VersionFile | undefined;
  await deps.store.change(who, name, async (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const latest = await rereadVersion(deps, target);
    if (latest.status !== "PENDING_UPLOAD") throw notUploading(latest);
    const files = await loadVersionFiles(deps, latest);
    file = uploadingFile(files, namedFile(latest, files, input.path));
    return {
      model: current,
      // Invariant: the digests belong to the upload still in progress (a completion or restart in between re-plans).
      writes: [
        ...(await redeclarePartsWrites(deps, { model: name, version: latest.version, file: file.index }, file, input.parts)),
        ...(await uploadInProgress(deps, latest, file.index)).map((write) => ({ write })),
      ],
      history: [],
      result: () => latest,
    };
  });
  if (!file) throw new Error(`No file of version ${target.version} of '${name}' was resolved`);
  return multipartUpload(deps, file, input.parts);
}

/** The file `path` names (a single artifact's when left out); a multi-file version needs it. */
function namedFile(version: VersionItem, files: readonly VersionFile[], path: string | undefined): VersionFile {
  const named = path === undefined ? (version.artifact ? files[0] : undefined) : files.find((file) => file.path === path);
  if (named) return named;
  const what = `Version ${version.version} of '${version.model}'`;
  const paths = files.map((file) => file.path);
  throw new ValidationError(
    path === undefined
      ? `${what} holds ${paths.length} files: name the file whose parts these are in 'path'.`
      : `${what} has no file '${path}'; its files are ${paths.slice(0, 5).join(", ")}${paths.length > 5 ? " …" : ""}.`,
    [{ path: "body.path", message: path === undefined ? "name a file of the version" : "not a file of this version" }],
  );
}

/** The file's own multipart upload; a file whose bytes the registry holds, or another file of the manifest uploads, has none. */
function uploadingFile(files: readonly VersionFile[], file: VersionFile): VersionFile {
  if (file.uploadId) return file;
  const carrier = files.find((other) => other.sha256 === file.sha256 && other.uploadId);
  throw new ValidationError(
    carrier
      ? `'${file.path}' has the same bytes as '${carrier.path}': upload them once, as '${carrier.path}'.`
      : `'${file.path}' has nothing to upload: the registry holds its bytes, verified.`,
    [{ path: "body.path", message: "this file has no upload of its own" }],
  );
}

/** The checks that the version still uploads this file's bytes with the upload read: on the version item, or on the file's chunk. */
async function uploadInProgress(deps: ArtifactDeps, version: VersionItem, index: number | undefined): Promise<Write[]> {
  const starts = version.manifest?.chunks?.starts;
  if (!starts || index === undefined) return [checkUploadInProgress(version, index)];
  const chunk = await deps.store.getManifestChunk(version.model, version.version, chunkHolding(starts, index));
  if (!chunk) throw new Error(`The chunk of file ${index} of version ${version.version} of '${version.model}' is missing`);
  return checkChunkUploadInProgress(version, chunk, index - chunk.first);
}

import { assertPartNumbers } from "../domain/artifacts";
import { ModelNotFoundError, ValidationError } from "../domain/errors";
import { versionFiles } from "../store/entities/manifest";
import { checkUploadInProgress, type VersionItem } from "../store/entities/version";
import type { PartUrlsInput, UploadView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import { redeclarePartsWrites, multipartUpload, uploadPlanOf } from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { requireVersion, rereadVersion } from "./resolve";
import { notUploading, requireArtifact, requireUploadedFiles } from "./version-artifact";

/**
 * Fresh URLs for parts of a multipart upload: after the first ones expired, or for parts not declared at registration.
 * 1. `path`, when given, must name the version's file; the version must be PENDING_UPLOAD with a
 *    multipart upload, the part numbers within it (a multi-file version's files are single PUTs: 400);
 * 2. record the declared digests (merged onto earlier ones) in the model's change;
 * 3. presign a URL per part, each signing its part's digest.
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
  assertNamesAFile(target, input.path);
  assertPartNumbers(
    uploadPlanOf(target.artifact ?? {}),
    input.parts.map((p) => p.partNumber),
    "body.parts",
  );
  const version = await deps.store.change(who, name, async (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const latest = await rereadVersion(deps, target);
    if (latest.status !== "PENDING_UPLOAD") throw notUploading(latest);
    return {
      model: current,
      // Invariant: the digests belong to the upload still in progress (a completion or restart in between re-plans).
      writes: [
        ...(await redeclarePartsWrites(deps, name, latest.version, requireArtifact(latest), input.parts)),
        { write: checkUploadInProgress(latest) },
      ],
      history: [],
      result: () => latest,
    };
  });
  return multipartUpload(deps, requireArtifact(version), input.parts);
}

/** `path` (when given) is one of the version's files; a multi-file version needs it. */
function assertNamesAFile(version: VersionItem, path: string | undefined): void {
  const paths = versionFiles(version).map((file) => file.path);
  if (path === undefined ? version.artifact !== undefined : paths.includes(path)) return;
  const what = `Version ${version.version} of '${version.model}'`;
  throw new ValidationError(
    path === undefined
      ? `${what} holds ${paths.length} files: name the file whose parts these are in 'path'.`
      : `${what} has no file '${path}'; its files are ${paths.slice(0, 5).join(", ")}${paths.length > 5 ? " …" : ""}.`,
    [{ path: "body.path", message: path === undefined ? "name a file of the version" : "not a file of this version" }],
  );
}

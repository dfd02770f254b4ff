import { assertPartNumbers } from "../domain/artifacts";
import { ModelNotFoundError } from "../domain/errors";
import { checkUploadInProgress } from "../store/entities/version";
import type { PartUrlsInput, UploadView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import { redeclarePartsWrites, multipartUpload, uploadPlanOf } from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { requireVersion, rereadVersion } from "./resolve";
import { notUploading, requireArtifact } from "./version-artifact";

/**
 * Fresh URLs for parts of a multipart upload: after the first ones expired, or for parts not declared at registration.
 * 1. the version must be PENDING_UPLOAD with a multipart upload, the part numbers within it;
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
  const artifact = requireArtifact(target);
  assertPartNumbers(
    uploadPlanOf(artifact),
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

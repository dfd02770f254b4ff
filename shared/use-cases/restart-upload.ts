import { assertPartNumbers } from "../domain/artifacts";
import { ModelNotFoundError } from "../domain/errors";
import type { HistoryDraft } from "../domain/history";
import { replaceIfStatus, toVersionView, type VersionItem } from "../store/entities/version";
import type { RestartUploadInput, UploadView } from "../schemas/artifact";
import type { VersionSelector, VersionView } from "../schemas/version";
import { redeclarePartsWrites, readyAtOnce, uploadPlanOf, uploadPreparer } from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { noteReady } from "./latest-ready";
import { requireVersion, rereadVersion } from "./resolve";
import { notUploading, requireArtifact } from "./version-artifact";

/**
 * Starts a version's upload again with fresh URLs: PENDING_UPLOAD versions whose URLs expired, and
 * FAILED versions (back to PENDING_UPLOAD: the declaration stays, the bytes are sent again).
 * 1. READY versions keep their verified bytes, VERIFYING ones are being checked: 409;
 * 2. if the bucket meanwhile holds these bytes, verified, the version is READY at once;
 * 3. otherwise a new presigned PUT, or a new multipart upload with URLs for the given parts
 *    (digests declared earlier stay valid: same bytes, same part size).
 */
export async function restartUpload(
  deps: ArtifactDeps,
  name: string,
  selector: VersionSelector,
  input: RestartUploadInput,
  who: Actor,
): Promise<VersionView & { upload: UploadView | null }> {
  const target = await requireVersion(deps, name, selector);
  const { uploadId: _uploadId, failureReason: _reason, ...declared } = requireArtifact(target);
  const parts = input.parts ?? [];
  assertPartNumbers(
    uploadPlanOf(declared),
    parts.map((p) => p.partNumber),
    "body.parts",
  );
  const prepare = uploadPreparer(deps, declared, parts);
  let upload: UploadView | null = null;
  const version = await deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const latest = await rereadVersion(deps, target);
    if (latest.status === "READY" || latest.status === "VERIFYING") throw notUploading(latest);
    const prepared = await prepare();
    upload = prepared.upload;
    const after: VersionItem = { ...latest, artifact: prepared.artifact, status: upload ? "PENDING_UPLOAD" : "READY", updatedAt: now };
    const history: HistoryDraft[] = upload ? statusChange(latest, after) : readyAtOnce(latest.version, prepared);
    return {
      model: noteReady(current, after),
      writes: [
        { write: replaceIfStatus(after, latest.status) },
        ...(await redeclarePartsWrites(deps, name, latest.version, prepared.artifact, parts)),
      ],
      history,
      result: () => after,
    };
  });
  return { ...toVersionView(version), upload };
}

function statusChange(before: VersionItem, after: VersionItem): HistoryDraft[] {
  if (before.status === after.status) return [];
  return [{ action: "VERSION_UPDATED", version: after.version, changes: { status: { from: before.status, to: after.status } } }];
}

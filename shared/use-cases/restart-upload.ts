import { assertPartNumbers } from "../domain/artifacts";
import { ModelNotFoundError, UploadConflictError, ValidationError } from "../domain/errors";
import type { HistoryDraft } from "../domain/history";
import { replaceIfStatus, toVersionView, type VersionItem } from "../store/entities/version";
import type { FileUploadView, RestartUploadInput, UploadView } from "../schemas/artifact";
import type { VersionSelector, VersionView } from "../schemas/version";
import { historyArtifact } from "../store/entities/manifest";
import { manifestPreparer, redeclarePartsWrites, readyAtOnce, uploadPlanOf, uploadPreparer } from "./artifact-uploads";
import type { Actor, ArtifactDeps } from "./deps";
import { noteReady } from "./latest-ready";
import { requireVersion, rereadVersion } from "./resolve";
import { notUploading, requireArtifact, requireUploadedFiles } from "./version-artifact";

/**
 * Starts a version's upload again with fresh URLs: PENDING_UPLOAD versions whose URLs expired, and
 * FAILED versions (back to PENDING_UPLOAD: the declaration stays, the bytes are sent again).
 * 1. READY versions keep their verified bytes, VERIFYING ones are being checked: 409;
 * 2. if the bucket meanwhile holds these bytes, verified, the version is READY at once;
 * 3. otherwise a new presigned PUT, or a new multipart upload with URLs for the given parts
 *    (digests declared earlier stay valid: same bytes, same part size); a multi-file version gets
 *    each file's upload again (restartFilesUpload).
 */
export async function restartUpload(
  deps: ArtifactDeps,
  name: string,
  selector: VersionSelector,
  input: RestartUploadInput,
  who: Actor,
): Promise<VersionView & { upload: UploadView | null; uploads?: FileUploadView[] }> {
  const target = await requireVersion(deps, name, selector);
  requireUploadedFiles(target);
  if (!target.artifact) return restartFilesUpload(deps, target, input, who);
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
        ...(await redeclarePartsWrites(deps, { model: name, version: latest.version }, prepared.artifact, parts)),
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

/**
 * The same for a multi-file version: each file is decided again: held verified by now (nothing to
 * send), or a fresh upload (a file in parts gets a new multipart upload without part URLs: its
 * digests declared earlier stay valid, and …/artifact/parts with `{ path, parts }` signs them).
 * Every file held: READY at once.
 */
async function restartFilesUpload(
  deps: ArtifactDeps,
  target: VersionItem,
  input: RestartUploadInput,
  who: Actor,
): Promise<VersionView & { upload: null; uploads: FileUploadView[] }> {
  if (target.manifest?.chunks) {
    throw new UploadConflictError(
      `Version ${target.version} of '${target.model}' holds more files than one commit: its upload does not start again. ` +
        `While it is PENDING_UPLOAD, GET …/artifact/uploads answers fresh URLs; once FAILED, delete it and register the files again.`,
      { status: target.status },
    );
  }
  if (input.parts?.length) {
    throw new ValidationError(
      "Restarting a multi-file version takes no parts: ask for a file's part URLs with POST …/artifact/parts and { path, parts }.",
      [{ path: "body.parts", message: "a multi-file version names each file's parts through …/artifact/parts" }],
    );
  }
  const prepare = manifestPreparer(
    deps,
    (target.manifest?.files ?? []).map(({ reused: _reused, uploadId: _uploadId, ...file }) => file),
  );
  let uploads: FileUploadView[] = [];
  const version = await deps.store.change(who, target.model, async (current, now) => {
    if (!current) throw new ModelNotFoundError(target.model);
    const latest = await rereadVersion(deps, target);
    if (latest.status === "READY" || latest.status === "VERIFYING") throw notUploading(latest);
    const prepared = await prepare();
    uploads = prepared.uploads;
    const after: VersionItem = {
      ...latest,
      manifest: prepared.manifest,
      status: prepared.allStored ? "READY" : "PENDING_UPLOAD",
      updatedAt: now,
    };
    const history: HistoryDraft[] = prepared.allStored
      ? [{ action: "VERSION_READY", version: after.version, artifact: historyArtifact(after) }]
      : statusChange(latest, after);
    return { model: current, writes: [{ write: replaceIfStatus(after, latest.status) }], history, result: () => after };
  });
  return { ...toVersionView(version), upload: null, uploads };
}

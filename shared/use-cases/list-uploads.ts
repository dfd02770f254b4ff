import { filesPage, filesPageStart } from "../store/entities/manifest";
import type { UploadsPage } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import { carriesBytes, uploadOf } from "./artifact-uploads";
import type { ArtifactDeps } from "./deps";
import { loadFilesFrom } from "./manifest-files";
import { requireVersion } from "./resolve";
import { notUploading, requireUploadedFiles } from "./version-artifact";

/**
 * A page of a version's upload plan, for manifests whose registration answered only the first
 * files' uploads, or whose URLs expired (a single artifact's plan is its one file, by its file
 * name: a fresh URL without restarting anything):
 * 1. the version must hold uploaded files (404 otherwise) and be PENDING_UPLOAD (409 otherwise,
 *    saying what to do);
 * 2. read the files of the page (only the chunks that hold them);
 * 3. each file carrying its bytes gets a fresh presigned PUT, or its multipart upload without part
 *    URLs (POST …/artifact/parts signs them); the others answer null: nothing to send.
 */
export async function listUploads(
  deps: ArtifactDeps,
  name: string,
  selector: VersionSelector,
  page: { limit: number; cursor?: string },
): Promise<UploadsPage> {
  const version = await requireVersion(deps, name, selector);
  requireUploadedFiles(version);
  if (version.status !== "PENDING_UPLOAD") throw notUploading(version);
  const from = filesPageStart(version, page.cursor);
  const { items, nextCursor } = filesPage(version, from, await loadFilesFrom(deps, version, from, page.limit), page.limit);
  const uploads = await Promise.all(
    items.map(async (file) => ({ path: file.path, upload: carriesBytes(file) ? await uploadOf(deps, file, []) : null })),
  );
  return { uploads, ...(nextCursor ? { nextCursor } : {}) };
}

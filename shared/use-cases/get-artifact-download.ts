import { ArtifactNotFoundError, VersionNotReadyError } from "../domain/errors";
import { filesPage, filesPageStart, type VersionFile } from "../store/entities/manifest";
import type { VersionItem } from "../store/entities/version";
import type { ArtifactDownloadView, FileDownloadView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import type { DownloadDeps } from "./deps";
import { requireVersion } from "./resolve";
import { requireArtifact, requireUploadedFiles } from "./version-artifact";
import { findVersionFile, loadFilesFrom } from "./manifest-files";

/**
 * A READY version's bytes with presigned GETs (15 minutes), and what to check them against:
 * 1. a single artifact: its URL, as ever (`url`, `filename`);
 * 2. a multi-file version: one page of its manifest in the order declared (`files`, `nextCursor`), read
 *    from the chunks that hold it when the manifest is chunked.
 */
export async function getArtifactDownload(
  deps: DownloadDeps,
  name: string,
  selector: VersionSelector,
  page: { limit: number; cursor?: string },
): Promise<ArtifactDownloadView> {
  const version = await requireReadyFiles(deps, name, selector);
  if (!version.manifest) {
    const artifact = requireArtifact(version);
    const { url, expiresAt } = await deps.downloads.presignGet(artifact.key, artifact.filename, artifact.contentType);
    return { url, expiresAt, sha256: artifact.sha256, sizeBytes: artifact.sizeBytes, filename: artifact.filename };
  }
  const from = filesPageStart(version, page.cursor);
  const { items, nextCursor } = filesPage(version, from, await loadFilesFrom(deps, version, from, page.limit), page.limit);
  // Taken before signing: no URL expires before it.
  const expiresAt = deps.downloads.urlsExpireAt();
  const files = await Promise.all(items.map(async (file) => ({ ...describe(file), url: await presign(deps, file) })));
  return { files, ...(nextCursor ? { nextCursor } : {}), expiresAt };
}

/**
 * One file of a READY version, by its path in the manifest (a single artifact's path is its file name;
 * a chunked manifest's, read from the one chunk that holds it); 404 naming the path when absent.
 */
export async function getFileDownload(
  deps: DownloadDeps,
  name: string,
  selector: VersionSelector,
  path: string,
): Promise<FileDownloadView> {
  const version = await requireReadyFiles(deps, name, selector);
  const file = await findVersionFile(deps, version, path);
  if (!file) throw ArtifactNotFoundError.ofPath(name, version.version, path);
  const expiresAt = deps.downloads.urlsExpireAt();
  return { ...describe(file), url: await presign(deps, file), expiresAt };
}

async function requireReadyFiles(deps: DownloadDeps, name: string, selector: VersionSelector): Promise<VersionItem> {
  const version = await requireVersion(deps, name, selector);
  requireUploadedFiles(version);
  if (version.status !== "READY")
    throw VersionNotReadyError.forDownload(version.model, version.version, version.status, !version.manifest?.chunks);
  return version;
}

const describe = ({ path, sizeBytes, sha256, contentType }: VersionFile) => ({ path, sizeBytes, sha256, contentType });

async function presign(deps: DownloadDeps, file: VersionFile): Promise<string> {
  return (await deps.downloads.presignGet(file.key, file.path, file.contentType)).url;
}

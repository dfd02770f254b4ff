import { distinctObjects, indexesFingerprinted, versionFiles, type VersionFile } from "../store/entities/manifest";
import { chunkFiles, chunkHolding } from "../store/entities/manifest-chunk";
import type { VersionItem } from "../store/entities/version";
import type { RegistryDeps } from "./deps";

/** Every file of the version, in the order declared: from the version item, or from its manifest's chunks. */
export async function loadVersionFiles(deps: RegistryDeps, version: VersionItem): Promise<VersionFile[]> {
  if (!version.manifest?.chunks) return versionFiles(version);
  return (await deps.store.listManifestChunks(version.model, version.version)).flatMap(chunkFiles);
}

/** Up to `limit` files of the version from the one at index `from` on: only the chunks that hold them are read. */
export async function loadFilesFrom(deps: RegistryDeps, version: VersionItem, from: number, limit: number): Promise<VersionFile[]> {
  const starts = version.manifest?.chunks?.starts;
  if (!starts) return versionFiles(version).slice(from, from + limit);
  const first = chunkHolding(starts, from);
  const last = chunkHolding(starts, from + limit - 1);
  const files = (await deps.store.listManifestChunks(version.model, version.version, first, last - first + 1)).flatMap(chunkFiles);
  return files.filter((file) => (file.index ?? 0) >= from).slice(0, limit);
}

/**
 * The version's file at `path`, or undefined. A chunked manifest reads only the chunk its path's
 * fingerprint points to (none when no file has it); one registered before fingerprints, every chunk.
 */
export async function findVersionFile(deps: RegistryDeps, version: VersionItem, path: string): Promise<VersionFile | undefined> {
  const chunks = version.manifest?.chunks;
  if (!chunks?.pathFingerprints) return (await loadVersionFiles(deps, version)).find((file) => file.path === path);
  const holding = new Set(indexesFingerprinted(chunks.pathFingerprints, path).map((index) => chunkHolding(chunks.starts, index)));
  for (const chunk of holding) {
    const item = await deps.store.getManifestChunk(version.model, version.version, chunk);
    const file = item && chunkFiles(item).find((candidate) => candidate.path === path);
    if (file) return file;
  }
  return undefined;
}

/** The files whose bytes this version uploads (and so checks): all but those the registry held verified already, one per object. */
export const loadFilesToUpload = async (deps: RegistryDeps, version: VersionItem): Promise<VersionFile[]> =>
  distinctObjects((await loadVersionFiles(deps, version)).filter((file) => !file.reused));

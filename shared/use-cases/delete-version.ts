import { ModelNotFoundError, VersionInUseError } from "../domain/errors";
import { artifactSummary, claimedGeneration, dropReference } from "../store/entities/artifact";
import { unlinkDatasets } from "../store/entities/dataset-link";
import { deleteSemverLabel } from "../store/entities/semver-label";
import { deleteUploadParts } from "../store/entities/upload-parts";
import { deleteUnused, type VersionItem } from "../store/entities/version";
import type { GuardedWrite } from "../store/model-change";
import type { DeletedVersionView } from "../schemas/artifact";
import type { VersionSelector } from "../schemas/version";
import { discardLeaseEnd, discardObject } from "./artifact-discard";
import type { Actor, ArtifactDeps } from "./deps";
import { withoutReadyVersion } from "./latest-ready";
import { requireVersion, rereadVersion } from "./resolve";

/**
 * Deletes an Archived version, or one that never became READY (admin).
 * 1. only Archived versions, and PENDING_UPLOAD or FAILED ones still in None, that no alias names
 *    (409 VersionInUse); the delete is conditioned on the stage and status as read;
 * 2. one transaction: the version, its label, dataset links and part digests go, the artifact's
 *    reference count drops (conditioned on the ref as read), VERSION_DELETED is recorded; the last
 *    reference claims the object's deletion in the same write;
 * 3. after the commit, the claimed object is deleted and the claim released, and a multipart
 *    upload still open for the version is aborted (its part URLs stop working).
 */
export async function deleteVersion(deps: ArtifactDeps, name: string, selector: VersionSelector, who: Actor): Promise<DeletedVersionView> {
  const target = await requireVersion(deps, name, selector);
  let discardClaim: number | undefined;
  const deleted = await deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const version = await rereadVersion(deps, target);
    assertDeletable(
      version,
      Object.entries(current.aliases)
        .filter(([, v]) => v === version.version)
        .map(([alias]) => alias),
    );
    const ref = version.artifact && (await deps.store.getArtifactRef(version.artifact.sha256));
    const dropped = ref ? dropReference(ref, now, discardLeaseEnd(now)) : undefined;
    discardClaim = ref && dropped?.claimed ? claimedGeneration(ref) : undefined;
    return {
      model: await withoutReadyVersion(deps, current, version.version),
      writes: [...versionItemDeletes(version), ...(dropped ? [{ write: dropped.write }] : [])],
      history: [
        {
          action: "VERSION_DELETED",
          version: version.version,
          semver: version.semver,
          artifact: version.artifact && artifactSummary(version.artifact),
        },
      ],
      result: () => version,
    };
  });
  const claim = discardClaim;
  if (claim !== undefined && deleted.artifact) await discardObject(deps, deleted.artifact, claim);
  const openUpload = deleted.status === "PENDING_UPLOAD" ? deleted.artifact?.uploadId : undefined;
  if (openUpload && deleted.artifact) await deps.artifacts.abortMultipart(deleted.artifact.key, openUpload);
  return { model: name, version: deleted.version, deleted: true, artifactDeleted: claim !== undefined };
}

/** Archived versions are out of use; so is a version whose bytes never became READY, which no stage or alias can hold. */
const isOutOfUse = (version: VersionItem) => version.stage === "Archived" || version.status !== "READY";

function assertDeletable(version: VersionItem, aliases: string[]): void {
  const what = `Version ${version.version} of '${version.model}'`;
  if (!isOutOfUse(version)) {
    throw new VersionInUseError(
      `${what} is in ${version.stage}: only Archived versions (and uploads that never became READY) can be deleted. ` +
        `Archive it first (POST /models/${version.model}/versions/${version.version}/transitions).`,
      { stage: version.stage },
    );
  }
  if (aliases.length > 0)
    throw new VersionInUseError(`${what} is the target of alias ${aliases.join(", ")}: move or delete the alias first.`, { aliases });
}

/** The version item and every item that exists because of it. */
function versionItemDeletes(version: VersionItem): GuardedWrite[] {
  return [
    deleteUnused(version),
    ...(version.semver ? [deleteSemverLabel(version.model, version.semver)] : []),
    ...unlinkDatasets(version),
    ...(version.artifact?.partCount ? [deleteUploadParts(version.model, version.version)] : []),
  ].map((write) => ({ write }));
}

import { ModelNotFoundError } from "../domain/errors";
import { refreshProductionSnapshot } from "../store/entities/stage-pointer";
import { replaceVersion, toVersionView, type VersionItem } from "../store/entities/version";
import { unchanged, type GuardedWrite } from "../store/model-change";
import type { UpdateVersionInput, VersionSelector, VersionView } from "../schemas/version";
import type { Actor, RegistryDeps } from "./deps";
import { describeChanges } from "./describe-changes";
import { requireVersion } from "./resolve";
import { assertMetadataSize, metadataOf } from "./version-metadata";

/** What may change on a version: its description and tags (publishers), and whether it is protected from retention (admins, PUT …/protection). */
export type VersionPatch = UpdateVersionInput & { readonly protected?: boolean };

/**
 * Changes the only mutable metadata, description, tags and protection, recorded as VERSION_UPDATED with before and after.
 * A patch that changes nothing (tags compared by content) writes nothing: no entry, and `updatedAt`, retention's clock, stays.
 * A patch computed from the version as read (one tag set or removed) is computed again on every re-plan: no concurrent change is lost.
 */
export async function updateVersion(
  deps: RegistryDeps,
  name: string,
  selector: VersionSelector,
  change: VersionPatch | ((before: VersionItem) => VersionPatch),
  who: Actor,
): Promise<VersionView> {
  const updated = await deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const before = await requireVersion(deps, name, selector);
    const patch = typeof change === "function" ? change(before) : change;
    const after: VersionItem = {
      ...before,
      description: patch.description ?? before.description,
      tags: patch.tags ?? before.tags,
      protected: protectionAfter(before, patch),
      updatedAt: now,
    };
    assertMetadataSize(metadataOf(after));
    const changes = describeChanges(before, after, ["description", "tags", "protected"]);
    if (Object.keys(changes).length === 0) return unchanged(before);
    return {
      model: current,
      writes: [{ write: replaceVersion(after) }, ...productionSnapshotWrites(after)],
      history: [{ action: "VERSION_UPDATED", version: before.version, changes }],
      result: () => after,
    };
  });
  return toVersionView(updated);
}

/** A version never protected is unprotected: lifting protection it never had leaves it as it is. */
function protectionAfter(before: VersionItem, patch: VersionPatch): boolean | undefined {
  if (before.protected === undefined && !patch.protected) return undefined;
  return patch.protected ?? before.protected;
}

/** The version in Production is also on its stage pointer, as a snapshot: keep that in step. */
function productionSnapshotWrites(after: VersionItem): GuardedWrite[] {
  if (after.stage !== "Production") return [];
  return [{ write: refreshProductionSnapshot(toVersionView(after)) }];
}

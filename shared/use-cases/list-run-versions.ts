import { toVersionView, type VersionItem } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { VersionView } from "../schemas/version";
import type { ListingDeps } from "./deps";
import { ofModelsInService } from "./models-in-service";

/**
 * The versions a training run produced (lineage.runId), of any model, in model name then version order:
 * 1. one Query of the index partition RUN#<id> that registration fills;
 * 2. each linked version read as it is now: one deleted since the index answered is left out, and so
 *    is every version of a model being deleted.
 * An unknown run is an empty list, not a 404: the registry only knows runs through the versions that name them.
 */
export async function listRunVersions(
  deps: ListingDeps,
  runId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<VersionView>> {
  const links = await deps.listings.runVersions(runId, page);
  const linked = await ofModelsInService(deps, links.items);
  const versions = await Promise.all(linked.map((link) => deps.store.getVersion(link.model, link.version)));
  return { items: versions.filter((item): item is VersionItem => item !== undefined).map(toVersionView), nextCursor: links.nextCursor };
}

import { toVersionView, type VersionItem } from "../store/entities/version";
import type { Page } from "../store/pages";
import type { VersionView } from "../schemas/version";
import type { ListingDeps } from "./deps";
import { ofModelsInService } from "./models-in-service";

type PageQuery = { limit: number; cursor?: string };

/**
 * The versions a training run produced (lineage.runId), of any model, in model name then version order:
 * 1. one Query of the index partition RUN#<id> that registration fills;
 * 2. each linked version read as it is now: one deleted since the index answered is left out, and so
 *    is every version of a model being deleted.
 * An unknown run is an empty list, not a 404: the registry only knows runs through the versions that name them.
 */
export function listRunVersions(deps: ListingDeps, runId: string, page: PageQuery): Promise<Page<VersionView>> {
  return listRunVersionsAs(deps, runId, page, async (versions) => versions);
}

/**
 * listRunVersions with the versions as `present` makes them (in order, reading more, such as their
 * models' aliases): a page holds as many versions as fit its bytes as presented, and its cursor goes
 * on from the last one it holds.
 */
export function listRunVersionsAs<T>(
  deps: ListingDeps,
  runId: string,
  page: PageQuery,
  present: (versions: VersionView[]) => Promise<T[]>,
): Promise<Page<T>> {
  return deps.listings.runVersions(runId, page, async (links) => {
    const inService = new Set(await ofModelsInService(deps, links));
    const read = await Promise.all(
      links.map((link) => (inService.has(link) ? deps.store.getVersion(link.model, link.version) : undefined)),
    );
    const presented = await present(read.filter((item): item is VersionItem => item !== undefined).map(toVersionView));
    let next = 0;
    return read.map((item) => (item === undefined ? undefined : presented[next++]));
  });
}

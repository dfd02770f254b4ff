import { buildRegistryDeps, storeModules, type ProcessResources } from "./composition";
import { Listings } from "./store/listings";
import { PromotionReads } from "./store/promotion-reads";
import { RetentionReads } from "./store/retention-reads";
import type { ListingDeps, PromotionDeps, RetentionDeps } from "./use-cases/deps";

/** The query function's dependencies: the registry's, the pages and reads only it makes, a model's policy and retention (and its preview). */
export function buildQueryDeps(...resources: ProcessResources): ListingDeps & PromotionDeps & RetentionDeps {
  const [config, dynamodb] = resources;
  return {
    ...buildRegistryDeps(...resources),
    ...storeModules(config, dynamodb, { listings: Listings, promotionReads: PromotionReads, retentionReads: RetentionReads }),
  };
}

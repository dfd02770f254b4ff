import { storeModules, type ProcessResources } from "./composition";
import { buildRemovalDeps } from "./removal-composition";
import { PromotionReads } from "./store/promotion-reads";
import { RetentionReads } from "./store/retention-reads";
import { RetentionRuns } from "./store/retention-runs";
import type { HousekeepingDeps } from "./use-cases/housekeeping";

/** Housekeeping's dependencies: what deleting versions reads, retention's reads (with the rollback's target), and its queue and records. */
export function buildHousekeepingDeps(...resources: ProcessResources): HousekeepingDeps {
  const [config, dynamodb] = resources;
  return {
    ...buildRemovalDeps(...resources),
    ...storeModules(config, dynamodb, { retentionReads: RetentionReads, promotionReads: PromotionReads, retentionRuns: RetentionRuns }),
  };
}

import { buildRegistryDeps, storeModules, type ProcessResources } from "./composition";
import { PromotionReads } from "./store/promotion-reads";
import { RetentionReads } from "./store/retention-reads";
import type { PromotionDeps, RetentionDeps } from "./use-cases/deps";

/** The lifecycle function's dependencies: the registry's, what promotions read (policy, approvals, the move a rollback undoes), and retention rules. */
export function buildLifecycleDeps(...resources: ProcessResources): PromotionDeps & RetentionDeps {
  const [config, dynamodb] = resources;
  return {
    ...buildRegistryDeps(...resources),
    ...storeModules(config, dynamodb, { promotionReads: PromotionReads, retentionReads: RetentionReads }),
  };
}

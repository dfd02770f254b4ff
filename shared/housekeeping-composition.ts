import { storeModules, type ProcessResources } from "./composition";
import { buildRemovalDeps } from "./removal-composition";
import { RetentionReads } from "./store/retention-reads";
import { RetentionRuns } from "./store/retention-runs";
import type { HousekeepingDeps } from "./use-cases/housekeeping";

/** Housekeeping's dependencies: what deleting versions reads, retention's reads, and its queue and records. */
export function buildHousekeepingDeps(...resources: ProcessResources): HousekeepingDeps {
  const [config, dynamodb] = resources;
  return {
    ...buildRemovalDeps(...resources),
    ...storeModules(config, dynamodb, { retentionReads: RetentionReads, retentionRuns: RetentionRuns }),
  };
}

import { buildArtifactDeps } from "./artifacts-composition";
import { storeModules, type ProcessResources } from "./composition";
import { KeyMetricBackfill } from "./store/key-metric-backfill";
import type { ArtifactDeps, KeyMetricDeps } from "./use-cases/deps";

/** The catalog function's dependencies: the artifacts', and indexing a newly declared key metric's versions. */
export function buildCatalogDeps(...resources: ProcessResources): ArtifactDeps & KeyMetricDeps {
  const [config, dynamodb] = resources;
  return { ...buildArtifactDeps(...resources), ...storeModules(config, dynamodb, { keyMetricBackfill: KeyMetricBackfill }) };
}

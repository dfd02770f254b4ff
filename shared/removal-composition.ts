import { buildArtifactDeps } from "./artifacts-composition";
import { storeModules, type ProcessResources } from "./composition";
import { RemovalReads } from "./store/removal-reads";
import type { RemovalDeps } from "./use-cases/deps";

/** The artifacts function's dependencies: the artifacts', and what deleting versions and models reads. */
export function buildRemovalDeps(...resources: ProcessResources): RemovalDeps {
  const [config, dynamodb] = resources;
  return { ...buildArtifactDeps(...resources), ...storeModules(config, dynamodb, { removalReads: RemovalReads }) };
}

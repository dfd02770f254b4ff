import { compareMetadata } from "../domain/compare";
import type { ComparisonView } from "../schemas/compare";
import type { VersionSelector } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireVersion } from "./resolve";

/**
 * Compares two versions of a model, a then b.
 * 1. resolve both selectors (404 if either is missing);
 * 2. diff their metadata: metric deltas b − a, params, features, dependencies and lineage.
 */
export async function compareVersions(
  deps: RegistryDeps,
  name: string,
  selectors: readonly [VersionSelector, VersionSelector],
): Promise<ComparisonView> {
  const [a, b] = await Promise.all([requireVersion(deps, name, selectors[0]), requireVersion(deps, name, selectors[1])]);
  return {
    model: name,
    a: { version: a.version, semver: a.semver },
    b: { version: b.version, semver: b.semver },
    ...compareMetadata(a, b),
  };
}

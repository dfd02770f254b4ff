import type { VersionSelector, VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireVersion } from "./resolve";
import { describeVersion } from "./verification-progress";

/** The version `{v}` names now (a number, v<semver>, a stage, an alias or latest), or the 404 saying why there is none; VERIFYING with its progress. */
export async function getVersion(deps: RegistryDeps, name: string, selector: VersionSelector): Promise<VersionView> {
  return describeVersion(deps, await requireVersion(deps, name, selector));
}

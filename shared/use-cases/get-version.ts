import { toVersionView } from "../store/entities/version";
import type { VersionSelector, VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireVersion } from "./resolve";

/** The version `{v}` names now (a number, v<semver>, a stage, an alias or latest), or the 404 saying why there is none. */
export async function getVersion(deps: RegistryDeps, name: string, selector: VersionSelector): Promise<VersionView> {
  return toVersionView(await requireVersion(deps, name, selector));
}

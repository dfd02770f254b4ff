import type { ModelUri } from "../domain/model-uri";
import type { ResolvedVersionView } from "../schemas/lifecycle";
import type { RegistryDeps } from "./deps";
import { findInStage, findVersionView, nothingSelected, requireModel, versionNumberOf } from "./resolve";

/**
 * Resolves a model URI (docs/lifecycle.md, "Model URIs") to the version it names now.
 * 1. a stage form reads like GET …/stages/{stage} (Production: one GetItem);
 * 2. any other form finds the version number (label, alias item, newest READY) and reads the version;
 * 3. nothing named: 404 ModelNotFound, StageEmpty, AliasNotFound or VersionNotFound.
 * A file the URI names is answered as `file`, unchecked: downloading it says whether the version holds it.
 */
export async function resolveModelUri(deps: RegistryDeps, target: ModelUri & { uri: string }): Promise<ResolvedVersionView> {
  const { name, selector } = target;
  const view =
    "stage" in selector
      ? await findInStage(deps, name, selector.stage)
      : await findVersionView(deps, name, await versionNumberOf(deps, name, selector));
  if (view) return { ...view, resolvedFrom: target.uri, ...(target.file === undefined ? {} : { file: target.file }) };
  await requireModel(deps, name);
  throw nothingSelected(name, selector);
}

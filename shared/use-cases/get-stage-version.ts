import { StageEmptyError } from "../domain/errors";
import type { AssignedStage } from "../domain/model-uri";
import type { VersionView } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { findInStage, requireModel } from "./resolve";

/** The version now in a stage (see findInStage: Production is one GetItem), or 404 ModelNotFound / StageEmpty. */
export async function getStageVersion(deps: RegistryDeps, name: string, stage: AssignedStage): Promise<VersionView> {
  const view = await findInStage(deps, name, stage);
  if (view) return view;
  await requireModel(deps, name);
  throw new StageEmptyError(name, stage);
}

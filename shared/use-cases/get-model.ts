import type { ModelView } from "../schemas/model";
import type { RegistryDeps } from "./deps";
import { modelViewOf, requireModel } from "./resolve";

/** One model (404 ModelNotFound when absent). */
export async function getModel(deps: RegistryDeps, name: string): Promise<ModelView> {
  return modelViewOf(deps, await requireModel(deps, name));
}

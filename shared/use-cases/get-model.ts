import { toModelView } from "../store/entities/model";
import type { ModelView } from "../schemas/model";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./resolve";

/** One model (404 ModelNotFound when absent). */
export async function getModel(deps: RegistryDeps, name: string): Promise<ModelView> {
  return toModelView(await requireModel(deps, name));
}

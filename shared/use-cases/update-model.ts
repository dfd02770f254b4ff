import { ModelNotFoundError } from "../domain/errors";
import type { ModelItem } from "../store/entities/model";
import type { ModelView, UpdateModelInput } from "../schemas/model";
import type { Actor, RegistryDeps } from "./deps";
import { describeChanges } from "./describe-changes";
import { modelViewOf } from "./resolve";

/**
 * Changes description and/or tags (tags replace the whole map), recorded as MODEL_UPDATED with before and after.
 * A patch computed from the model as read (one tag set or removed) is computed again on every re-plan: no concurrent change is lost.
 */
export async function updateModel(
  deps: RegistryDeps,
  name: string,
  change: UpdateModelInput | ((current: ModelItem) => UpdateModelInput),
  who: Actor,
): Promise<ModelView> {
  const model = await deps.store.change(who, name, (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const patch = typeof change === "function" ? change(current) : change;
    const next: ModelItem = { ...current, description: patch.description ?? current.description, tags: patch.tags ?? current.tags };
    return {
      model: next,
      history: [{ action: "MODEL_UPDATED", changes: describeChanges(current, next, ["description", "tags"]) }],
      result: ({ model }) => model,
    };
  });
  return modelViewOf(deps, model);
}

import { ModelAlreadyExistsError } from "../domain/errors";
import { enforceNamingPolicy } from "../domain/naming";
import { newModelItem, toModelView } from "../store/entities/model";
import type { CreateModelInput, ModelView } from "../schemas/model";
import type { Actor, RegistryDeps } from "./deps";
import { withWarnings } from "./warnings";

/**
 * Creates a model.
 * 1. apply the naming policy (strict rejects, warn carries warnings back);
 * 2. write the model item and its MODEL_CREATED history entry in one transaction;
 * 3. a model that already exists is a 409, never an overwrite.
 */
export async function createModel(deps: RegistryDeps, input: CreateModelInput, who: Actor): Promise<ModelView> {
  const warnings = enforceNamingPolicy(input.name, deps.namingPolicy);
  const model = await deps.store.change(who, input.name, (current, now) => {
    if (current) throw new ModelAlreadyExistsError(input.name);
    return {
      model: newModelItem({ ...input, actor: who.actor, now }),
      history: [{ action: "MODEL_CREATED", changes: { description: input.description, tags: input.tags } }],
      result: ({ model }) => model,
    };
  });
  // A new model has no version yet, READY or not.
  return withWarnings(toModelView(model, null), warnings);
}

import { ModelAlreadyExistsError, ModelNotFoundError } from "../domain/errors";
import { enforceNamingPolicy } from "../domain/naming";
import { newModelItem, toModelView, type ModelItem } from "../store/entities/model";
import type { Page } from "../store/pages";
import type { CreateModelInput, ModelView, UpdateModelInput } from "../schemas/model";
import type { Actor, RegistryDeps } from "./deps";

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
  return withWarnings(toModelView(model), warnings);
}

export async function getModel(deps: RegistryDeps, name: string): Promise<ModelView> {
  return toModelView(await requireModel(deps, name));
}

export async function listModels(deps: RegistryDeps, query: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ModelView>> {
  const page = await deps.store.listModels(query);
  return { items: page.items.map(toModelView), nextCursor: page.nextCursor };
}

/** Changes description and/or tags (tags replace the whole map), recorded as MODEL_UPDATED with before and after. */
export async function updateModel(deps: RegistryDeps, name: string, patch: UpdateModelInput, who: Actor): Promise<ModelView> {
  const model = await deps.store.change(who, name, (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const next: ModelItem = { ...current, description: patch.description ?? current.description, tags: patch.tags ?? current.tags };
    return {
      model: next,
      history: [{ action: "MODEL_UPDATED", changes: describeChanges(current, next, ["description", "tags"]) }],
      result: ({ model }) => model,
    };
  });
  return toModelView(model);
}

export async function requireModel(deps: RegistryDeps, name: string): Promise<ModelItem> {
  const model = await deps.store.getModel(name);
  if (!model) throw new ModelNotFoundError(name);
  return model;
}

/** `{ field: { from, to } }` for each field that differs: the audit trail's before/after. */
export function describeChanges<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of fields) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}

export function withWarnings<T extends object>(view: T, warnings: string[]): T & { warnings?: string[] } {
  return warnings.length > 0 ? { ...view, warnings } : view;
}

import { AliasConflictError } from "../domain/errors";
import type { ModelItem } from "../store/entities/model";
import type { RegistryDeps } from "./deps";

/** Own entries only: an alias may be named like a prototype member (`constructor`), which a plain lookup would find on every model. */
export function aliasTarget(model: ModelItem, alias: string): number | undefined {
  return Object.hasOwn(model.aliases, alias) ? model.aliases[alias] : undefined;
}

/** The alias no longer pointed where the change was planned against (null: unset). */
export interface AliasMoved {
  readonly aliasMovedFrom: number | null;
}

/** 409 AliasConflict naming the alias's target now. */
export async function aliasConflict(deps: RegistryDeps, name: string, alias: string, conflict: AliasMoved): Promise<AliasConflictError> {
  return new AliasConflictError(name, alias, conflict.aliasMovedFrom, (await deps.store.getAlias(name, alias))?.version ?? null);
}

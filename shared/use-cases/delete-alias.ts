import { AliasNotFoundError, ModelNotFoundError } from "../domain/errors";
import { deleteAlias as deleteAliasItem } from "../store/entities/alias";
import type { AliasView } from "../schemas/alias";
import { aliasConflict, aliasTarget } from "./alias-state";
import type { Actor, RegistryDeps } from "./deps";

/** Removes an alias (404 AliasNotFound when it is not set), with its ALIAS_CHANGED entry naming the version it pointed to. */
export async function deleteAlias(deps: RegistryDeps, name: string, alias: string, who: Actor): Promise<AliasView> {
  const outcome = await deps.store.changeOrConflict(who, name, (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const previous = aliasTarget(current, alias);
    if (previous === undefined) throw new AliasNotFoundError(name, alias);
    const { [alias]: _removed, ...aliases } = current.aliases;
    return {
      model: { ...current, aliases },
      writes: [{ write: deleteAliasItem(name, alias, previous), conflict: { aliasMovedFrom: previous } }],
      history: [{ action: "ALIAS_CHANGED", alias, previousVersion: previous }],
      result: (): AliasView => ({ model: name, alias, version: null, previousVersion: previous }),
    };
  });
  if ("conflict" in outcome) throw await aliasConflict(deps, name, alias, outcome.conflict);
  return outcome.answer;
}

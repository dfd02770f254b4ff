import { AliasNotFoundError, ModelNotFoundError } from "../domain/errors";
import { deleteAlias as deleteAliasItem } from "../store/entities/alias";
import type { AliasView } from "../schemas/alias";
import { aliasConflict, aliasTarget } from "./alias-state";
import type { Caller } from "../domain/permissions";
import type { PromotionDeps } from "./deps";
import { guardProtectedAlias } from "./protected-alias";

/**
 * Removes an alias (404 AliasNotFound when it is not set), with its ALIAS_CHANGED entry naming the
 * version it pointed to; a protected alias only for an admin or with an approval of that version (403).
 */
export async function deleteAlias(deps: PromotionDeps, name: string, alias: string, who: Caller): Promise<AliasView> {
  const outcome = await deps.store.changeOrConflict(who, name, async (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const previous = aliasTarget(current, alias);
    if (previous === undefined) throw new AliasNotFoundError(name, alias);
    await guardProtectedAlias(deps, { model: name, alias, version: previous, action: "removing it" }, who);
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

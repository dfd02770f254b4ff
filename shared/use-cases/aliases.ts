import { AliasConflictError, AliasNotFoundError, ModelNotFoundError, VersionNotFoundError, VersionNotReadyError } from "../domain/errors";
import { expectation } from "../domain/lifecycle";
import { aliasKey, newAliasItem } from "../store/entities/alias";
import type { ModelItem } from "../store/entities/model";
import type { AliasView, SetAliasInput } from "../schemas/alias";
import type { Actor, RegistryDeps } from "./deps";

/**
 * Points an alias at a version, compare-and-set.
 * 1. read the model; the alias must point where the caller expects (`expectedVersion`, null for
 *    unset), else where the first read saw it: a re-plan after contention compares against that,
 *    so a stale caller gets 409 AliasConflict with the actual target, never a silent overwrite;
 * 2. the version must exist and be READY;
 * 3. one transaction: the alias item (conditioned on that target), the model's alias map and an
 *    ALIAS_CHANGED entry.
 */
export async function setAlias(deps: RegistryDeps, name: string, alias: string, input: SetAliasInput, who: Actor): Promise<AliasView> {
  const target = expectation(input.expectedVersion, (expected, actual) => new AliasConflictError(name, alias, expected, actual));
  return deps.store.change(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const previous = target(aliasTarget(current, alias) ?? null);
    const version = await deps.store.getVersion(name, input.version);
    if (!version) throw new VersionNotFoundError(name, input.version);
    if (version.status !== "READY") throw new VersionNotReadyError(name, input.version, version.status);
    const item = newAliasItem({ model: name, alias, version: input.version, actor: who.actor, now });
    return {
      model: { ...current, aliases: { ...current.aliases, [alias]: input.version } },
      writes: [{ write: { Put: { TableName: deps.store.tableName, Item: item, ...movesFrom(previous) } }, onConflict: () => aliasConflict(deps, name, alias, previous) }],
      history: [{ action: "ALIAS_CHANGED", alias, version: input.version, ...(previous === null ? {} : { previousVersion: previous }), reason: input.reason }],
      result: () => ({ model: name, alias, version: input.version, previousVersion: previous }),
    };
  });
}

/** Removes an alias (404 AliasNotFound when it is not set), with its ALIAS_CHANGED entry naming the version it pointed to. */
export async function deleteAlias(deps: RegistryDeps, name: string, alias: string, who: Actor): Promise<AliasView> {
  return deps.store.change(who, name, (current) => {
    if (!current) throw new ModelNotFoundError(name);
    const previous = aliasTarget(current, alias);
    if (previous === undefined) throw new AliasNotFoundError(name, alias);
    const { [alias]: _removed, ...aliases } = current.aliases;
    return {
      model: { ...current, aliases },
      writes: [{ write: { Delete: { TableName: deps.store.tableName, Key: aliasKey(name, alias), ...movesFrom(previous) } }, onConflict: () => aliasConflict(deps, name, alias, previous) }],
      history: [{ action: "ALIAS_CHANGED", alias, previousVersion: previous }],
      result: () => ({ model: name, alias, version: null, previousVersion: previous }),
    };
  });
}

/** Own entries only: an alias may be named like a prototype member (`constructor`), which a plain lookup would find on every model. */
function aliasTarget(model: ModelItem, alias: string): number | undefined {
  return Object.hasOwn(model.aliases, alias) ? model.aliases[alias] : undefined;
}

/** Invariant: an alias moves only from the target the change was planned against (null: unset). */
function movesFrom(previous: number | null) {
  if (previous === null) return { ConditionExpression: "attribute_not_exists(pk)" };
  return { ConditionExpression: "version = :previous", ExpressionAttributeValues: { ":previous": previous } };
}

async function aliasConflict(deps: RegistryDeps, name: string, alias: string, previous: number | null): Promise<AliasConflictError> {
  return new AliasConflictError(name, alias, previous, (await deps.store.getAlias(name, alias))?.version ?? null);
}

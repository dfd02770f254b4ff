import { AliasConflictError, ModelNotFoundError, ValidationError, VersionNotFoundError, VersionNotReadyError } from "../domain/errors";
import { expectation } from "../domain/lifecycle";
import { newAliasItem, putAlias } from "../store/entities/alias";
import { unchanged } from "../store/model-change";
import type { ModelItem } from "../store/entities/model";
import type { AliasView, SetAliasInput } from "../schemas/alias";
import { aliasConflict, aliasTarget } from "./alias-state";
import type { Caller } from "../domain/permissions";
import type { PromotionDeps } from "./deps";
import { guardProtectedAlias } from "./protected-alias";

/**
 * Points an alias at a version, compare-and-set.
 * 1. read the model; the alias must point where the caller expects (`expectedVersion`, null for
 *    unset), else where the first read saw it: a re-plan after contention compares against that,
 *    so a stale caller gets 409 AliasConflict with the actual target, never a silent overwrite;
 *    a new alias must leave the model within MAX_ALIASES_PER_MODEL (400);
 * 2. the version must exist and be READY; a protected alias moves only for an admin or with an
 *    approval of that version for alias:<alias> (403);
 * 3. one transaction: the alias item (conditioned on that target), the model's alias map and an
 *    ALIAS_CHANGED entry; nothing when the alias already points at the version.
 */
export async function setAlias(deps: PromotionDeps, name: string, alias: string, input: SetAliasInput, who: Caller): Promise<AliasView> {
  const target = expectation(input.expectedVersion, (expected, actual) => new AliasConflictError(name, alias, expected, actual));
  const outcome = await deps.store.changeOrConflict(who, name, async (current, now) => {
    if (!current) throw new ModelNotFoundError(name);
    const previous = target(aliasTarget(current, alias) ?? null);
    if (previous === null) assertRoomForAlias(current);
    const version = await deps.store.getVersion(name, input.version);
    if (!version) throw new VersionNotFoundError(name, input.version);
    if (version.status !== "READY") throw new VersionNotReadyError(name, input.version, version.status);
    await guardProtectedAlias(deps, { model: name, alias, version: input.version, action: "moving it" }, who);
    // A retried or repeated set moves nothing: no history entry, so no event that would start a deployment again.
    if (previous === input.version) return unchanged<AliasView>({ model: name, alias, version: input.version, previousVersion: previous });
    const item = newAliasItem({ model: name, alias, version: input.version, actor: who.actor, now });
    return {
      model: { ...current, aliases: { ...current.aliases, [alias]: input.version } },
      writes: [{ write: putAlias(item, previous), conflict: { aliasMovedFrom: previous } }],
      history: [
        {
          action: "ALIAS_CHANGED",
          alias,
          version: input.version,
          ...(previous === null ? {} : { previousVersion: previous }),
          reason: input.reason,
        },
      ],
      result: (): AliasView => ({ model: name, alias, version: input.version, previousVersion: previous }),
    };
  });
  if ("conflict" in outcome) throw await aliasConflict(deps, name, alias, outcome.conflict);
  return outcome.answer;
}

/**
 * The aliases one model holds at most. Its item keeps every alias (up to 63 characters each) beside
 * its tags and description, and DynamoDB refuses an item over 400 KB: about 6,200 aliases of the
 * longest spelling reach it. A thousand stay far from it however they are spelled.
 */
export const MAX_ALIASES_PER_MODEL = 1_000;

function assertRoomForAlias(model: ModelItem): void {
  const held = Object.keys(model.aliases).length;
  if (held >= MAX_ALIASES_PER_MODEL)
    throw new ValidationError(
      `Model '${model.name}' holds ${held} aliases: a model holds at most ${MAX_ALIASES_PER_MODEL} aliases. Remove one it no longer needs (DELETE /models/${model.name}/aliases/{alias}), or move an existing one, instead.`,
      [{ path: "alias", message: `at most ${MAX_ALIASES_PER_MODEL} aliases per model` }],
    );
}

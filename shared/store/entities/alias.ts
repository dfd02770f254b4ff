import * as z from "../../zod";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition } from "../keys";

export const ALIAS_ENTITY = "alias";
const SCHEMA_VERSION = 1;

/** One item per alias: its conditional write is the compare-and-set on the alias's target. */
export const aliasKey = (name: string, alias: string) => ({ pk: modelPartition(name), sk: `ALIAS#${alias}` });

export interface AliasItem extends ItemBase {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export function newAliasItem(fields: { model: string; alias: string; version: number; actor: string; now: string }): AliasItem {
  return {
    ...aliasKey(fields.model, fields.alias),
    entity: ALIAS_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    model: fields.model,
    alias: fields.alias,
    version: fields.version,
    updatedAt: fields.now,
    updatedBy: fields.actor,
  };
}

export const aliasFromItem = itemReader(ALIAS_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(ALIAS_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    alias: z.string(),
    version: z.int(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  }),
);

// Invariant: an alias moves only from the target the change was planned against (null: unset).

/** Points the alias at `item.version`, only if it still points at `previous`. */
export const putAlias = (item: AliasItem, previous: number | null): Write => ({
  Put: { Item: item, ...expect("version", previous, { as: ":previous" }) },
});

/** Removes the alias, only if it still points at `previous`. */
export const deleteAlias = (name: string, alias: string, previous: number): Write => ({
  Delete: { Key: aliasKey(name, alias), ...expect("version", previous, { as: ":previous" }) },
});

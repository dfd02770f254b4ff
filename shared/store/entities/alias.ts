import type { ItemBase } from "../table";
import { modelPartition } from "../keys";

export const ALIAS_ENTITY = "alias";

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
    schemaVersion: 1,
    model: fields.model,
    alias: fields.alias,
    version: fields.version,
    updatedAt: fields.now,
    updatedBy: fields.actor,
  };
}

import * as z from "../../zod";
import type { RetentionRules } from "../../domain/retention";
import { retentionBody, type RetentionView } from "../../schemas/retention";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition } from "../keys";

export const RETENTION_ENTITY = "retention";
const SCHEMA_VERSION = 1;

/** Models with retention rules, in the sparse index partition RETENTION, least recently applied first. */
export const RETENTION_INDEX_PARTITION = "RETENTION";
/** The sort key of rules never applied yet (an index key cannot be empty): before every real instant. */
const NEVER_APPLIED = new Date(0).toISOString();

export const retentionKey = (name: string) => ({ pk: modelPartition(name), sk: "RETENTION" });

export interface RetentionItem extends ItemBase {
  readonly gsi1pk: string;
  /** When housekeeping last applied the rules (NEVER_APPLIED before it has): the index's sort order. */
  readonly gsi1sk: string;
  readonly model: string;
  readonly rules: RetentionRules;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** New rules are applied by the next run, before models whose rules were applied already. */
export function newRetentionItem(fields: { model: string; rules: RetentionRules; actor: string; now: string }): RetentionItem {
  return {
    ...retentionKey(fields.model),
    entity: RETENTION_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    gsi1pk: RETENTION_INDEX_PARTITION,
    gsi1sk: NEVER_APPLIED,
    model: fields.model,
    rules: fields.rules,
    updatedAt: fields.now,
    updatedBy: fields.actor,
  };
}

export const retentionFromItem = itemReader(RETENTION_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(RETENTION_ENTITY, SCHEMA_VERSION),
    gsi1pk: z.string(),
    gsi1sk: z.string(),
    model: z.string(),
    rules: retentionBody,
    updatedAt: z.string(),
    updatedBy: z.string(),
  }),
);

export function toRetentionView(name: string, item: RetentionItem | undefined): RetentionView {
  if (!item) return { model: name };
  return {
    model: name,
    ...item.rules,
    updatedAt: item.updatedAt,
    updatedBy: item.updatedBy,
    ...(item.gsi1sk !== NEVER_APPLIED ? { lastRunAt: item.gsi1sk } : {}),
  };
}

/** The rules as a model change writes them (the model's revision serialises these writes). */
export const putRetention = (item: RetentionItem): Write => ({ Put: { Item: item } });

/** No rules: the model leaves the RETENTION index, and housekeeping no longer visits it. */
export const deleteRetention = (name: string): Write => ({ Delete: { Key: retentionKey(name) } });

/**
 * Moves the model to the end of the housekeeping queue. Invariant: only rules that still exist are
 * stamped (removed rules stay removed).
 */
export const stampApplied = (name: string, at: string) => ({
  Key: retentionKey(name),
  UpdateExpression: "SET gsi1sk = :at",
  ConditionExpression: "attribute_exists(pk)",
  ExpressionAttributeValues: { ":at": at },
});

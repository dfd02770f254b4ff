import * as z from "../../zod";
import type { HistoryDraft, HistoryEntry } from "../../domain/history";
import { historyEntryView, type HistoryEntryView } from "../../schemas/history";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition, padNumber } from "../keys";

export const HISTORY_ENTITY = "history";
const SCHEMA_VERSION = 1;
export const HISTORY_SORT_PREFIX = "HISTORY#";

export const historyKey = (name: string, sequence: number) => ({
  pk: modelPartition(name),
  sk: `${HISTORY_SORT_PREFIX}${padNumber(sequence)}`,
});

/** Immutable audit entry and transactional outbox record: the stream turns it into an event. */
export interface HistoryItem extends ItemBase, HistoryEntry {}

export function newHistoryItem(
  draft: HistoryDraft,
  context: { model: string; sequence: number; eventId: string; actor: string; requestId: string; occurredAt: string },
): HistoryItem {
  return { ...historyKey(context.model, context.sequence), entity: HISTORY_ENTITY, schemaVersion: SCHEMA_VERSION, ...draft, ...context };
}

/** Appends an entry. Invariant: history is append-only; an entry is never overwritten. */
export const appendHistory = (item: HistoryItem): Write => ({ Put: { Item: item, ...expect("pk", null) } });

export const historyFromItem = itemReader(
  HISTORY_ENTITY,
  SCHEMA_VERSION,
  z.looseObject({ ...itemBase(HISTORY_ENTITY, SCHEMA_VERSION), ...historyEntryView.shape, model: z.string() }),
);

/** The audit fields in the view's reading order (who, when, what); storage attributes stay out. */
export const toHistoryView = (item: HistoryItem): HistoryEntryView => historyEntryView.parse(item);

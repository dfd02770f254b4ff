import * as z from "../../zod";
import type { HistoryDraft, HistoryEntry } from "../../domain/history";
import { historyEntryView, type HistoryEntryView } from "../../schemas/history";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition, padNumber } from "../keys";
import { HISTORY_ENTITY } from "../outbox";

export { HISTORY_ENTITY };
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

const storedHistory = () =>
  z.looseObject({ ...itemBase(HISTORY_ENTITY, SCHEMA_VERSION), ...z.built(historyEntryView).shape, model: z.string() });
/** A history item as read: its one parse checked every field the view shows. */
export type StoredHistoryItem = z.output<ReturnType<typeof storedHistory>>;

export const historyFromItem = itemReader(HISTORY_ENTITY, SCHEMA_VERSION, storedHistory);

/**
 * The audit fields in the view's reading order (who, when, what); storage attributes stay out. Every
 * field of the view is named, so the compiler tells when one is added to the view but not here.
 */
export function toHistoryView(item: StoredHistoryItem): HistoryEntryView {
  const { sequence, eventId, action, actor, occurredAt, requestId, version, semver } = item;
  const { fromStage, toStage, previousVersion, alias, reason, artifact, changes, approvers } = item;
  const view: { [K in keyof Required<HistoryEntryView>]: HistoryEntryView[K] } = {
    sequence,
    eventId,
    action,
    actor,
    occurredAt,
    requestId,
    version,
    semver,
    fromStage,
    toStage,
    previousVersion,
    alias,
    reason,
    artifact,
    changes,
    approvers,
  };
  return view;
}

import type { HistoryEntryView } from "../../schemas/history";
import type { ItemBase } from "../table";
import { modelPartition, padNumber } from "../keys";

export const HISTORY_ENTITY = "history";
export const HISTORY_SORT_PREFIX = "HISTORY#";

export const HISTORY_ACTIONS = [
  "MODEL_CREATED",
  "MODEL_UPDATED",
  "VERSION_REGISTERED",
  "VERSION_UPDATED",
  "VERSION_READY",
  "VERSION_FAILED",
  /** An Archived version removed by an admin (its artifact object goes when no other version shares it). */
  "VERSION_DELETED",
  "STAGE_CHANGED",
  "ALIAS_CHANGED",
  "POLICY_CHANGED",
] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];

export const historyKey = (name: string, sequence: number) => ({ pk: modelPartition(name), sk: `${HISTORY_SORT_PREFIX}${padNumber(sequence)}` });

/** What a change says about itself; the commit adds who, when, the request and the sequence. */
export interface HistoryDraft {
  readonly action: HistoryAction;
  readonly version?: number;
  readonly semver?: string;
  readonly fromStage?: string;
  readonly toStage?: string;
  readonly previousVersion?: number;
  readonly alias?: string;
  readonly reason?: string;
  /** The bytes a registration, verification or failure is about (events carry it). */
  readonly artifact?: { readonly uri: string; readonly sha256: string; readonly sizeBytes: number };
  readonly changes?: Record<string, unknown>;
}

/** Immutable audit entry and transactional outbox record: the stream turns it into an event. */
export interface HistoryItem extends ItemBase, HistoryDraft {
  readonly model: string;
  readonly sequence: number;
  readonly eventId: string;
  readonly actor: string;
  readonly requestId: string;
  readonly occurredAt: string;
}

export function newHistoryItem(
  draft: HistoryDraft,
  context: { model: string; sequence: number; eventId: string; actor: string; requestId: string; occurredAt: string },
): HistoryItem {
  return { ...historyKey(context.model, context.sequence), entity: HISTORY_ENTITY, schemaVersion: 1, ...draft, ...context };
}

/** The audit fields in reading order: who, when, what; storage attributes stay out. */
const VIEW_FIELDS = ["sequence", "eventId", "action", "actor", "occurredAt", "requestId", "version", "semver", "fromStage", "toStage", "previousVersion", "alias", "reason", "artifact", "changes"] as const satisfies readonly (keyof HistoryEntryView)[];

export function toHistoryView(item: HistoryItem): HistoryEntryView {
  const view = Object.fromEntries(VIEW_FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]]));
  return view as HistoryEntryView;
}

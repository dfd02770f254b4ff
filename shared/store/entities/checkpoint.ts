import * as z from "../../zod";
import type { Pointers } from "../../domain/history-replay";
import { stagesAtView } from "../../schemas/history";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition, padNumber } from "../keys";
import type { ModelItem } from "./model";

export const CHECKPOINT_ENTITY = "checkpoint";
const SCHEMA_VERSION = 1;
export const CHECKPOINT_SORT_PREFIX = "CHECKPOINT#";
/** A checkpoint every this many history entries: `history/at` then replays at most about this many. */
export const DEFAULT_CHECKPOINT_INTERVAL = 50;

/**
 * The instant first, so "the newest checkpoint at or before T" is one descending Query on the sort key
 * (ISO instants sort as text in time order); the sequence orders checkpoints of the same millisecond.
 */
const checkpointKey = (name: string, occurredAt: string, sequence: number) => ({
  pk: modelPartition(name),
  sk: `${CHECKPOINT_SORT_PREFIX}${occurredAt}#${padNumber(sequence)}`,
});

/** The highest sort key a checkpoint taken at or before `instant` can have ('~' sorts after every digit). */
export const lastCheckpointKeyAt = (instant: string): string => `${CHECKPOINT_SORT_PREFIX}${instant}#~`;

/** The model's stage occupants and aliases once history entry `sequence` (the last of its commit) is applied. */
export interface CheckpointItem extends ItemBase, Pointers {
  readonly model: string;
  readonly sequence: number;
  readonly occurredAt: string;
}

/** True when a commit taking the history from `before` to `after` entries passes a multiple of `interval`. */
export const checkpointDue = (before: number, after: number, interval: number): boolean =>
  Math.floor(after / interval) > Math.floor(before / interval);

/**
 * The checkpoint of a model's state as a commit leaves it: the model item already holds the stages and
 * aliases the history replays to, so taking it costs no read. It is numbered after the commit's last entry.
 */
export function newCheckpointItem(model: ModelItem): CheckpointItem {
  const { Production, Staging = [] } = model.stages;
  return {
    ...checkpointKey(model.name, model.updatedAt, model.historySequence),
    entity: CHECKPOINT_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    model: model.name,
    sequence: model.historySequence,
    occurredAt: model.updatedAt,
    stages: { ...(Production === undefined ? {} : { Production }), Staging: [...Staging].sort((a, b) => a - b) },
    aliases: model.aliases,
  };
}

/** Writes a checkpoint. Invariant: like the history it summarises, a checkpoint is never overwritten. */
export const writeCheckpoint = (item: CheckpointItem): Write => ({ Put: { Item: item, ...expect("pk", null) } });

export const checkpointFromItem = itemReader(CHECKPOINT_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(CHECKPOINT_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    sequence: z.int(),
    occurredAt: z.string(),
    stages: z.built(stagesAtView).shape.stages,
    aliases: z.built(stagesAtView).shape.aliases,
  }),
);

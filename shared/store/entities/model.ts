import * as z from "../../zod";
import { modelView, type ModelView } from "../../schemas/model";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { modelPartition } from "../keys";

export const MODEL_ENTITY = "model";
const SCHEMA_VERSION = 1;
/** All models share one index partition so that they list in name order with a prefix. */
export const MODEL_LIST_PARTITION = "MODELS";

export const modelKey = (name: string) => ({ pk: modelPartition(name), sk: "MODEL" });

export interface ModelItem extends ItemBase {
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly name: string;
  readonly description?: string;
  readonly tags: Record<string, string>;
  /** Highest version number handed out; the next registration takes latestVersion + 1. */
  readonly latestVersion: number;
  readonly highestSemver?: string;
  /**
   * The newest READY version (0: none), what `latest` names: set by the change that makes a version READY,
   * recomputed when that version is deleted. Absent on models no change has touched since it was stored.
   */
  readonly latestReadyVersion?: number;
  /** Sequence of the model's newest history item. */
  readonly historySequence: number;
  /**
   * Bumped by every committed change of the model, with or without history: the optimistic lock
   * that serialises them. Absent on items no change has committed since revisions were introduced.
   */
  readonly revision?: number;
  readonly stages: { Production?: number; Staging?: number[] };
  readonly aliases: Record<string, number>;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
}

export function newModelItem(fields: {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  actor: string;
  now: string;
}): ModelItem {
  return {
    ...modelKey(fields.name),
    gsi1pk: MODEL_LIST_PARTITION,
    gsi1sk: fields.name,
    entity: MODEL_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    name: fields.name,
    description: fields.description,
    tags: fields.tags ?? {},
    latestVersion: 0,
    latestReadyVersion: 0,
    historySequence: 0,
    stages: {},
    aliases: {},
    createdAt: fields.now,
    createdBy: fields.actor,
    updatedAt: fields.now,
  };
}

/** The view's fields the item stores as they are; the view derives latestRegisteredVersion from the item's latestVersion. */
const { latestRegisteredVersion: _derived, ...storedViewFields } = modelView.shape;

export const modelFromItem = itemReader(
  MODEL_ENTITY,
  SCHEMA_VERSION,
  z.looseObject({
    ...itemBase(MODEL_ENTITY, SCHEMA_VERSION),
    ...storedViewFields,
    gsi1pk: z.string(),
    gsi1sk: z.string(),
    latestVersion: z.int(),
    highestSemver: z.optional(z.string()),
    latestReadyVersion: z.optional(z.int()),
    historySequence: z.int(),
    revision: z.optional(z.int()),
  }),
);

/** The model once version `number` is READY: `latest` names the newer of it and the newest READY version so far. */
export function withReadyVersion(model: ModelItem, number: number): ModelItem {
  return { ...model, latestReadyVersion: Math.max(model.latestReadyVersion ?? 0, number) };
}

/** The model's view; `newestReady` is what `latest` names (the item's latestVersion counts every version handed out). */
export function toModelView(item: ModelItem, newestReady: number | null): ModelView {
  return {
    name: item.name,
    description: item.description,
    tags: item.tags,
    latestVersion: newestReady,
    latestRegisteredVersion: item.latestVersion > 0 ? item.latestVersion : null,
    stages: item.stages,
    aliases: item.aliases,
    createdAt: item.createdAt,
    createdBy: item.createdBy,
    updatedAt: item.updatedAt,
  };
}

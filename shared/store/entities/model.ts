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
  /** In the model list index; a model being deleted, or deleted, is out of it. */
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
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
  /** The highest turn ticket whose turn has ended (store/turn-queue.ts); absent until a ticketed change ends. */
  readonly served?: number;
  readonly stages: { Production?: number; Staging?: number[] };
  readonly aliases: Record<string, number>;
  /** The metrics the model indexes (see entities/metric-index.ts), absent until declared. */
  readonly keyMetrics?: readonly KeyMetric[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  /**
   * Set by an admin's deletion: DELETING until `finishedAt`, then the item is the model's tombstone.
   * The tombstone keeps the name's history sequence, revision and served turn ticket, so the name's
   * next model numbers its history (and its turns) on after the deleted one's.
   */
  readonly deletion?: ModelDeletion;
}

export type KeyMetric = NonNullable<ModelView["keyMetrics"]>[number];

export interface ModelDeletion {
  readonly startedAt: string;
  readonly startedBy: string;
  readonly finishedAt?: string;
}

/**
 * The update that ends turn `ticket` without a commit (the plan changed nothing, or refused):
 * `served` only grows, and an absent model is not created.
 */
export const endTurnUpdate = (name: string, ticket: number) => ({
  Key: modelKey(name),
  UpdateExpression: "SET served = :ticket",
  ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(served) OR served < :ticket)",
  ExpressionAttributeValues: { ":ticket": ticket },
});

/** An admin's deletion started and is not finished: the model takes no other change. */
export const isBeingDeleted = (item: ModelItem): item is DeletingModel =>
  item.deletion !== undefined && item.deletion.finishedAt === undefined;

export type DeletingModel = ModelItem & { readonly deletion: ModelDeletion };

/** Only the tombstone is left: for every change, the name has no model (registering makes a new one). */
export const isDeleted = (item: ModelItem): boolean => item.deletion?.finishedAt !== undefined;

/** The model as its deletion's first commit leaves it: DELETING, and out of the model list. */
export function markedDeleting(item: ModelItem, actor: string, now: string): ModelItem {
  const { gsi1pk: _listed, gsi1sk: _listedAs, ...rest } = item;
  return { ...rest, deletion: { startedAt: now, startedBy: actor } };
}

/** The tombstone the deletion's last commit leaves: no stage, no alias, the deletion finished. */
export const tombstoneOf = (item: DeletingModel, now: string): ModelItem => ({
  ...item,
  stages: {},
  aliases: {},
  deletion: { ...item.deletion, finishedAt: now },
});

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
const storedViewFields = () => {
  const { latestRegisteredVersion: _derived, ...stored } = z.built(modelView).shape;
  return stored;
};

export const modelFromItem = itemReader(MODEL_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(MODEL_ENTITY, SCHEMA_VERSION),
    ...storedViewFields(),
    gsi1pk: z.optional(z.string()),
    gsi1sk: z.optional(z.string()),
    latestVersion: z.int(),
    highestSemver: z.optional(z.string()),
    latestReadyVersion: z.optional(z.int()),
    historySequence: z.int(),
    revision: z.optional(z.int()),
    served: z.optional(z.int()),
    deletion: z.optional(z.object({ startedAt: z.string(), startedBy: z.string(), finishedAt: z.optional(z.string()) })),
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
    ...(item.keyMetrics && { keyMetrics: [...item.keyMetrics] }),
    createdAt: item.createdAt,
    createdBy: item.createdBy,
    updatedAt: item.updatedAt,
  };
}

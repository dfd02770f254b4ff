import * as z from "../../zod";
import { versionView, type VersionView } from "../../schemas/version";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition } from "../keys";

export const STAGE_POINTER_ENTITY = "stagePointer";
const SCHEMA_VERSION = 1;

/** Production holds one version per model: one item names it, so a conditional write can guard the occupant. */
export const productionPointerKey = (name: string) => ({ pk: modelPartition(name), sk: "STAGE#Production" });

/**
 * The Production pointer. It carries a snapshot of the occupant's view so that "what is in
 * Production" is one GetItem; whatever changes that version's view rewrites the snapshot in the
 * same transaction.
 */
export interface StagePointerItem extends ItemBase {
  readonly model: string;
  readonly stage: "Production";
  readonly version: number;
  readonly snapshot: VersionView;
}

export function newProductionPointer(view: VersionView): StagePointerItem {
  return {
    ...productionPointerKey(view.model),
    entity: STAGE_POINTER_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    model: view.model,
    stage: "Production",
    version: view.version,
    snapshot: view,
  };
}

export const stagePointerFromItem = itemReader(STAGE_POINTER_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(STAGE_POINTER_ENTITY, SCHEMA_VERSION),
    model: z.string(),
    stage: z.literal("Production"),
    version: z.int(),
    snapshot: z.looseObject(z.built(versionView).shape),
  }),
);

/** Puts `view`'s version in Production. Invariant: Production holds one version, and only the occupant the caller saw (null: none) is replaced. */
export const claimProduction = (view: VersionView, occupant: number | null): Write => ({
  Put: { Item: newProductionPointer(view), ...expect("version", occupant, { as: ":occupant" }) },
});

/** Empties Production, only while `leaving` still holds it. */
export const releaseProduction = (name: string, leaving: number): Write => ({
  Delete: { Key: productionPointerKey(name), ...expect("version", leaving, { as: ":leaving" }) },
});

/** Rewrites the snapshot of the version in Production. Invariant: the snapshot belongs to the version that holds Production. */
export const refreshProductionSnapshot = (view: VersionView): Write => ({
  Put: { Item: newProductionPointer(view), ...expect("version", view.version) },
});

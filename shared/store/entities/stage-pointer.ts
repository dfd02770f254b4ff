import type { VersionView } from "../../schemas/version";
import type { ItemBase } from "../table";
import { modelPartition } from "../keys";

export const STAGE_POINTER_ENTITY = "stagePointer";

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
  return { ...productionPointerKey(view.model), entity: STAGE_POINTER_ENTITY, schemaVersion: 1, model: view.model, stage: "Production", version: view.version, snapshot: view };
}

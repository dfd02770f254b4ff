import type { ItemBase } from "../table";
import { modelPartition } from "../keys";

export const SEMVER_LABEL_ENTITY = "semverLabel";

/** One item per label: its conditional put keeps labels unique within a model. */
export const semverLabelKey = (name: string, semver: string) => ({ pk: modelPartition(name), sk: `SEMVER#${semver}` });

export interface SemverLabelItem extends ItemBase {
  readonly version: number;
}

export function newSemverLabelItem(name: string, semver: string, version: number): SemverLabelItem {
  return { ...semverLabelKey(name, semver), entity: SEMVER_LABEL_ENTITY, schemaVersion: 1, version };
}

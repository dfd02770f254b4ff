import * as z from "../../zod";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import { expect, type Write } from "../writes";
import { modelPartition } from "../keys";

export const SEMVER_LABEL_ENTITY = "semverLabel";
const SCHEMA_VERSION = 1;

/** One item per label: its conditional put keeps labels unique within a model. */
export const semverLabelKey = (name: string, semver: string) => ({ pk: modelPartition(name), sk: `SEMVER#${semver}` });

interface SemverLabelItem extends ItemBase {
  readonly version: number;
}

function newSemverLabelItem(name: string, semver: string, version: number): SemverLabelItem {
  return { ...semverLabelKey(name, semver), entity: SEMVER_LABEL_ENTITY, schemaVersion: SCHEMA_VERSION, version };
}

export const semverLabelFromItem = itemReader(SEMVER_LABEL_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({ ...itemBase(SEMVER_LABEL_ENTITY, SCHEMA_VERSION), version: z.int() }),
);

/** Labels a version. Invariant: a semver label names one version of a model. */
export const putSemverLabel = (name: string, semver: string, version: number): Write => ({
  Put: { Item: newSemverLabelItem(name, semver, version), ...expect("pk", null) },
});

export const deleteSemverLabel = (name: string, semver: string): Write => ({ Delete: { Key: semverLabelKey(name, semver) } });

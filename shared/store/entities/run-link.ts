import * as z from "../../zod";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition, padNumber } from "../keys";
import { versionLinkFields, versionLinkIndexKey, type VersionLinkItem } from "./version-link";

export const RUN_LINK_ENTITY = "runLink";
const SCHEMA_VERSION = 1;

/** One item per version with a training run (lineage.runId): the index partition RUN#<id> lists the versions that run produced, of any model. */
export interface RunLinkItem extends VersionLinkItem {
  readonly runId: string;
}

export const runIndexPartition = (runId: string) => `RUN#${runId}`;
const runLinkKey = (name: string, version: number, runId: string) => ({
  pk: modelPartition(name),
  sk: `RUN#${runId}#${padNumber(version)}`,
});

export const runLinkFromItem = itemReader(RUN_LINK_ENTITY, SCHEMA_VERSION, () =>
  z.looseObject({
    ...itemBase(RUN_LINK_ENTITY, SCHEMA_VERSION),
    ...versionLinkFields(),
    runId: z.string(),
  }),
);

type RunOf = { readonly model: string; readonly version: number; readonly lineage: { readonly runId?: string } };

/** The link a new version's run makes, if it names one: written in the version's registration. */
export function linkRun({ model, version, lineage: { runId } }: RunOf): Write[] {
  if (runId === undefined) return [];
  const item: RunLinkItem = {
    ...runLinkKey(model, version, runId),
    ...versionLinkIndexKey(runIndexPartition(runId), model, version),
    entity: RUN_LINK_ENTITY,
    schemaVersion: SCHEMA_VERSION,
    runId,
    model,
    version,
  };
  return [{ Put: { Item: item } }];
}

/** The same link, deleted with the version. */
export const unlinkRun = ({ model, version, lineage: { runId } }: RunOf): Write[] =>
  runId === undefined ? [] : [{ Delete: { Key: runLinkKey(model, version, runId) } }];

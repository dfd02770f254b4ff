import * as z from "../../zod";
import type { ItemBase } from "../table";
import { itemBase, itemReader } from "../item-reader";
import type { Write } from "../writes";
import { modelPartition, padNumber } from "../keys";

export const RUN_LINK_ENTITY = "runLink";
const SCHEMA_VERSION = 1;

/** One item per version with a training run (lineage.runId): the index partition RUN#<id> lists the versions that run produced, of any model. */
export interface RunLinkItem extends ItemBase {
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly runId: string;
  readonly model: string;
  readonly version: number;
}

export const runIndexPartition = (runId: string) => `RUN#${runId}`;
const runLinkKey = (name: string, version: number, runId: string) => ({
  pk: modelPartition(name),
  sk: `RUN#${runId}#${padNumber(version)}`,
});

export const runLinkFromItem = itemReader(
  RUN_LINK_ENTITY,
  SCHEMA_VERSION,
  z.looseObject({
    ...itemBase(RUN_LINK_ENTITY, SCHEMA_VERSION),
    gsi1pk: z.string(),
    gsi1sk: z.string(),
    runId: z.string(),
    model: z.string(),
    version: z.int(),
  }),
);

type RunOf = { readonly model: string; readonly version: number; readonly lineage: { readonly runId?: string } };

/** The link a new version's run makes, if it names one: written in the version's registration. */
export function linkRun({ model, version, lineage: { runId } }: RunOf): Write[] {
  if (runId === undefined) return [];
  const item: RunLinkItem = {
    ...runLinkKey(model, version, runId),
    gsi1pk: runIndexPartition(runId),
    gsi1sk: `${model}#${padNumber(version)}`,
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

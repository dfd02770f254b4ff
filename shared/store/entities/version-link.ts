import * as z from "../../zod";
import type { ItemBase } from "../table";
import { padNumber } from "../keys";

/**
 * What every index link of a version holds (dataset links, run links): in the sparse index
 * partition of what it links to, the linked versions sort as `<model>#<0000000007>`, by model name
 * then version.
 */
export interface VersionLinkItem extends ItemBase {
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly model: string;
  readonly version: number;
}

/** The fields of VersionLinkItem, built by a link entity's item reader on its first read. */
export const versionLinkFields = () => ({ gsi1pk: z.string(), gsi1sk: z.string(), model: z.string(), version: z.int() });

export const versionLinkIndexKey = (partition: string, model: string, version: number) => ({
  gsi1pk: partition,
  gsi1sk: `${model}#${padNumber(version)}`,
});

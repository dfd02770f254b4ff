import { ModelNotYetCreatedError } from "../domain/errors";
import { replayPointers } from "../domain/history-replay";
import { toHistoryView, type HistoryItem } from "../store/entities/history";
import type { Page } from "../store/pages";
import type { HistoryEntryView, StagesAtView } from "../schemas/history";
import type { VersionSelector } from "../schemas/version";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./models";
import { requireVersion } from "./versions";

/**
 * A model's audit trail, newest first.
 * 1. 404 when the model does not exist;
 * 2. `version` as a number filters at once (history outlives a deleted version); any other
 *    selector (v1.4.0, a stage, an alias) is first resolved to the version it names now;
 * 3. one exact page from the model's partition.
 */
export async function listHistory(
  deps: RegistryDeps,
  name: string,
  query: { version?: VersionSelector; limit: number; cursor?: string },
): Promise<Page<HistoryEntryView>> {
  await requireModel(deps, name);
  const { version: selector, ...page } = query;
  const version = selector === undefined || "number" in selector ? selector?.number : (await requireVersion(deps, name, selector)).version;
  const result = await deps.store.listHistory(name, { version }, page);
  return { items: result.items.map(toHistoryView), nextCursor: result.nextCursor };
}

/**
 * Which version held each stage and alias at `time`.
 * 1. 404 when the model does not exist, or did not exist yet at `time`;
 * 2. read the history oldest first, up to the first entry after `time` (sequence order is
 *    commit order, and each commit's clock reading follows the one before it);
 * 3. replay the stage and alias moves from an empty model.
 */
export async function stagesAt(deps: RegistryDeps, name: string, time: string): Promise<StagesAtView> {
  const model = await requireModel(deps, name);
  const instant = new Date(time).toISOString();
  if (instant < model.createdAt) throw new ModelNotYetCreatedError(name, instant, model.createdAt);
  const entries: HistoryItem[] = [];
  for await (const entry of deps.store.historyOldestFirst(name)) {
    if (entry.occurredAt > instant) break;
    entries.push(entry);
  }
  return { time: instant, ...replayPointers(entries) };
}

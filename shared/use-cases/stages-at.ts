import { ModelNotYetCreatedError } from "../domain/errors";
import { replayPointers } from "../domain/history-replay";
import type { HistoryItem } from "../store/entities/history";
import type { StagesAtView } from "../schemas/history";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./resolve";

/**
 * Which version held each stage and alias at `time`.
 * 1. 404 when the model does not exist, or did not exist yet at `time`;
 * 2. read the newest checkpoint taken at or before `time` (one every N entries; none before the
 *    first, nor in history older than checkpoints), then the history after it, oldest first, up to the first
 *    entry after `time` (sequence order is commit order, and each commit's clock reading follows
 *    the one before it): at most about N entries, however long the history;
 * 3. replay the stage and alias moves from the checkpoint, or from an empty model.
 */
export async function stagesAt(deps: RegistryDeps, name: string, time: string): Promise<StagesAtView> {
  const instant = new Date(time).toISOString();
  const [model, checkpoint] = await Promise.all([requireModel(deps, name), deps.store.checkpointAtOrBefore(name, instant)]);
  if (instant < model.createdAt) throw new ModelNotYetCreatedError(name, instant, model.createdAt);
  const entries: HistoryItem[] = [];
  for await (const entry of deps.store.historyOldestFirst(name, checkpoint?.sequence)) {
    if (entry.occurredAt > instant) break;
    entries.push(entry);
  }
  return { time: instant, ...replayPointers(entries, checkpoint) };
}

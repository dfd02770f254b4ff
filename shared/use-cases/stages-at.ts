import { ModelNotYetCreatedError } from "../domain/errors";
import { replayPointers } from "../domain/history-replay";
import type { HistoryItem } from "../store/entities/history";
import type { StagesAtView } from "../schemas/history";
import type { ListingDeps } from "./deps";
import { requireHistory } from "./resolve";

/**
 * Which version held each stage and alias at `time`.
 * 1. 404 when the name never had a model, or had none yet at `time` (its first entry is later); a
 *    deleted model's history answers still, and MODEL_DELETED empties every stage and alias;
 * 2. read the newest checkpoint taken at or before `time` (one every N entries; none before the
 *    first, nor in history older than checkpoints), then the history after it, oldest first, up to the first
 *    entry after `time` (sequence order is commit order, and each commit is stamped no earlier than
 *    the one before it): at most about N entries, however long the history. The read ends at the
 *    oldest checkpoint after `time`, so that a page of history takes no entry the replay cannot use;
 * 3. replay the stage and alias moves from the checkpoint, or from an empty model.
 */
export async function stagesAt(deps: ListingDeps, name: string, time: string): Promise<StagesAtView> {
  const instant = new Date(time).toISOString();
  const [, checkpoints] = await Promise.all([requireHistory(deps, name), deps.listings.checkpointsAround(name, instant)]);
  const checkpoint = checkpoints.atOrBefore;
  const entries: HistoryItem[] = [];
  let after: HistoryItem | undefined;
  for await (const entry of deps.listings.historyOldestFirst(name, checkpoint?.sequence, checkpoints.after?.sequence)) {
    if (entry.occurredAt > instant) {
      after = entry;
      break;
    }
    entries.push(entry);
  }
  // Nothing at or before `time`: the name's first entry, its first model's creation, is later.
  if (!checkpoint && entries.length === 0 && after) throw new ModelNotYetCreatedError(name, instant, after.occurredAt);
  return { time: instant, ...replayPointers(entries, checkpoint) };
}

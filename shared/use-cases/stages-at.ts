import { ModelNotYetCreatedError } from "../domain/errors";
import { replayPointers } from "../domain/history-replay";
import type { HistoryItem } from "../store/entities/history";
import type { StagesAtView } from "../schemas/history";
import type { RegistryDeps } from "./deps";
import { requireModel } from "./resolve";

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

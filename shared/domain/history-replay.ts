import type { HistoryDraft } from "./history";

/** Which version holds each stage slot and alias: the part of a model's state that history can rebuild. */
export interface Pointers {
  readonly stages: { Production?: number; Staging: number[] };
  readonly aliases: Record<string, number>;
}

type Entry = Pick<HistoryDraft, "action" | "version" | "fromStage" | "toStage" | "alias">;

const EMPTY: Pointers = { stages: { Staging: [] }, aliases: {} };

/**
 * Replays STAGE_CHANGED and ALIAS_CHANGED entries, oldest first, from `start` (a checkpoint, or an empty model);
 * MODEL_DELETED empties every slot and alias (the name's next model starts empty).
 * A promotion that archives the previous occupant writes two entries (new → Production, old
 * Production → Archived); leaving a stage clears the slot only if that version still holds it,
 * so the two entries give the same answer in either order.
 */
export function replayPointers(entries: Iterable<Entry>, start: Pointers = EMPTY): Pointers {
  let production = start.stages.Production;
  const staging = new Set(start.stages.Staging);
  const aliases = { ...start.aliases };
  for (const entry of entries) {
    const { version } = entry;
    if (entry.action === "MODEL_DELETED") {
      production = undefined;
      staging.clear();
      for (const alias of Object.keys(aliases)) delete aliases[alias];
    }
    if (entry.action === "ALIAS_CHANGED" && entry.alias) {
      if (version === undefined) delete aliases[entry.alias];
      else aliases[entry.alias] = version;
    }
    if (entry.action !== "STAGE_CHANGED" || version === undefined) continue;
    if (entry.fromStage === "Production" && production === version) production = undefined;
    if (entry.fromStage === "Staging") staging.delete(version);
    if (entry.toStage === "Production") production = version;
    if (entry.toStage === "Staging") staging.add(version);
  }
  const stages = { ...(production === undefined ? {} : { Production: production }), Staging: [...staging].sort((a, b) => a - b) };
  return { stages, aliases };
}

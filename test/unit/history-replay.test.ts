import { describe, expect, it } from "vitest";
import { replayPointers } from "../../shared/domain/history-replay";
import type { HistoryDraft } from "../../shared/domain/history";

const move = (version: number, fromStage: string, toStage: string): HistoryDraft => ({
  action: "STAGE_CHANGED",
  version,
  fromStage,
  toStage,
  reason: "test",
});
const alias = (name: string, version?: number): HistoryDraft => ({ action: "ALIAS_CHANGED", alias: name, version });

describe("replaying stage and alias moves", () => {
  it("starts from an empty model and ignores every other action", () => {
    expect(replayPointers([{ action: "MODEL_CREATED" }, { action: "VERSION_REGISTERED", version: 1 }])).toEqual({
      stages: { Staging: [] },
      aliases: {},
    });
  });

  it("empties every stage and alias at a model's deletion, and replays the name's next model from there", () => {
    const deleted = replayPointers([move(1, "None", "Staging"), alias("champion", 1), { action: "MODEL_DELETED" }]);
    const next = replayPointers([{ action: "MODEL_DELETED" }, { action: "MODEL_CREATED" }, move(1, "None", "Staging")], {
      stages: { Production: 4, Staging: [2] },
      aliases: { champion: 4 },
    });

    expect(deleted).toEqual({ stages: { Staging: [] }, aliases: {} });
    expect(next).toEqual({ stages: { Staging: [1] }, aliases: {} });
  });

  it("gives the promoted version Production whichever order the promotion's two entries come in", () => {
    const before = [move(1, "None", "Staging"), move(1, "Staging", "Production"), move(2, "None", "Staging")];

    const promotedFirst = replayPointers([...before, move(2, "Staging", "Production"), move(1, "Production", "Archived")]);
    const archivedFirst = replayPointers([...before, move(1, "Production", "Archived"), move(2, "Staging", "Production")]);

    expect(promotedFirst).toEqual({ stages: { Production: 2, Staging: [] }, aliases: {} });
    expect(archivedFirst).toEqual(promotedFirst);
  });

  it("keeps several versions in Staging, in number order, and follows demotion and rollback", () => {
    const entries = [
      move(3, "None", "Staging"),
      move(1, "None", "Staging"),
      move(1, "Staging", "Production"),
      move(1, "Production", "Staging"),
      move(2, "Archived", "Production"),
    ];

    expect(replayPointers(entries).stages).toEqual({ Production: 2, Staging: [1, 3] });
  });

  it("moves aliases and drops a deleted one", () => {
    const entries = [alias("champion", 1), alias("challenger", 2), alias("champion", 2), alias("challenger")];

    expect(replayPointers(entries).aliases).toEqual({ champion: 2 });
  });
});

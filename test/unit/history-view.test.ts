import { describe, expect, it } from "vitest";
import { historyEntryView } from "../../shared/schemas/history";
import { historyFromItem, toHistoryView } from "../../shared/store/entities/history";

/** A stored STAGE_CHANGED entry as DynamoDB gives it back, with an attribute a later release might add. */
const stored = {
  pk: "MODEL#fraud_detector",
  sk: "HISTORY#000000000007",
  entity: "history",
  schemaVersion: 1,
  model: "fraud_detector",
  addedLater: "kept in storage",
  approvers: ["alice"],
  previousVersion: 2,
  toStage: "Production",
  fromStage: "Staging",
  version: 3,
  requestId: "req-1",
  occurredAt: "2024-01-15T10:30:00.000Z",
  actor: "arn:aws:iam::1:user/ci",
  action: "STAGE_CHANGED",
  eventId: "evt-7",
  sequence: 7,
};

describe("a history entry's view", () => {
  it("shows the audit fields of the item read once, in the view's reading order, without storage attributes", () => {
    const view = toHistoryView(historyFromItem(stored));

    const answered = JSON.parse(JSON.stringify(view));
    expect(answered).toEqual(historyEntryView.parse(stored));
    expect(Object.keys(answered)).toEqual(Object.keys(historyEntryView.parse(stored)));
    expect(Object.keys(answered)).toEqual([
      "sequence",
      "eventId",
      "action",
      "actor",
      "occurredAt",
      "requestId",
      "version",
      "fromStage",
      "toStage",
      "previousVersion",
      "approvers",
    ]);
  });
});

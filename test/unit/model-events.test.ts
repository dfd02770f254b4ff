import { describe, expect, it } from "vitest";
import { DETAIL_TYPES, EVENT_SOURCE, MalformedHistoryItemError, toModelEvent } from "../../shared/events/model-events";
import type { HistoryDraft } from "../../shared/domain/history";
import { historyItem } from "../support/history-records";

const BUS = "model-registry-test";
const artifact = {
  uri: "s3://model-registry-artifacts/artifacts/sha256/9f86d0",
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  sizeBytes: 52_428_800,
};
const actor = "arn:aws:sts::123456789012:assumed-role/release-ci/run-42";
const occurredAt = "2026-11-22T10:00:00.000Z";
/** What every event's detail carries about the history entry it announces (eventOf's defaults). */
const envelope = { eventId: "0f7c3c5e-event", sequence: 7, model: "fraud_detector", actor, occurredAt };

const eventOf = (draft: HistoryDraft, sequence = 7) => {
  const entry = toModelEvent({ ...historyItem(draft, { sequence, eventId: "0f7c3c5e-event" }) }, BUS);
  return entry && { ...entry, Detail: JSON.parse(entry.Detail ?? "null") as unknown };
};

describe("history item → event", () => {
  it("announces a registration as Model Version Registered with its semver and declared artifact", () => {
    const event = eventOf({ action: "VERSION_REGISTERED", version: 3, semver: "1.4.0", artifact, changes: { source: undefined } });

    expect(event).toEqual({
      EventBusName: BUS,
      Source: EVENT_SOURCE,
      DetailType: "Model Version Registered",
      Detail: { ...envelope, version: 3, semver: "1.4.0", artifact },
      Resources: ["models:/fraud_detector/3"],
      Time: new Date(occurredAt),
    });
  });

  it("announces a verified upload as Model Version Ready with the artifact", () => {
    const event = eventOf({ action: "VERSION_READY", version: 3, artifact });

    expect(event?.DetailType).toBe("Model Version Ready");
    expect(event?.Detail).toEqual({
      ...envelope,
      version: 3,
      artifact,
    });
  });

  it("announces a failed verification as Model Version Failed with the reason", () => {
    const reason = "SHA-256 mismatch: declared 9f86d0…, uploaded bytes hash to 2c26b4…";
    const event = eventOf({ action: "VERSION_FAILED", version: 3, artifact, reason });

    expect(event?.DetailType).toBe("Model Version Failed");
    expect(event?.Detail).toEqual({
      ...envelope,
      version: 3,
      reason,
      artifact,
    });
  });

  it("announces a promotion as Model Version Stage Changed with from, to, the previous occupant and the reason", () => {
    const event = eventOf({
      action: "STAGE_CHANGED",
      version: 3,
      fromStage: "Staging",
      toStage: "Production",
      previousVersion: 2,
      reason: "AUC +2.1% on the holdout set",
    });

    expect(event?.DetailType).toBe("Model Version Stage Changed");
    expect(event?.Detail).toEqual({
      ...envelope,
      version: 3,
      fromStage: "Staging",
      toStage: "Production",
      previousVersion: 2,
      reason: "AUC +2.1% on the holdout set",
    });
    expect(event?.Resources).toEqual(["models:/fraud_detector/3"]);
  });

  it("announces an alias move as Model Alias Changed, naming the version and the alias", () => {
    const event = eventOf({ action: "ALIAS_CHANGED", alias: "champion", version: 3, previousVersion: 2 });

    expect(event?.DetailType).toBe("Model Alias Changed");
    expect(event?.Detail).toEqual({
      ...envelope,
      version: 3,
      previousVersion: 2,
      alias: "champion",
    });
    expect(event?.Resources).toEqual(["models:/fraud_detector/3", "models:/fraud_detector@champion"]);
  });

  it("announces an alias removal without a version", () => {
    const event = eventOf({ action: "ALIAS_CHANGED", alias: "challenger", previousVersion: 4, reason: "experiment over" });

    expect(event?.Detail).toEqual({
      ...envelope,
      previousVersion: 4,
      alias: "challenger",
      reason: "experiment over",
    });
    expect(event?.Resources).toEqual(["models:/fraud_detector@challenger"]);
  });

  it("announces a model's deletion as Model Deleted, about no version", () => {
    const event = eventOf({ action: "MODEL_DELETED" });

    expect(event?.DetailType).toBe("Model Deleted");
    expect(event?.Detail).toEqual(envelope);
    expect(event?.Resources).toEqual([]);
  });

  it("has a detail type for exactly the six announced actions", () => {
    expect(Object.values(DETAIL_TYPES).sort()).toEqual([
      "Model Alias Changed",
      "Model Deleted",
      "Model Version Failed",
      "Model Version Ready",
      "Model Version Registered",
      "Model Version Stage Changed",
    ]);
  });

  it.each(["MODEL_CREATED", "MODEL_UPDATED", "VERSION_UPDATED", "POLICY_CHANGED"] as const)("publishes nothing for %s", (action) => {
    expect(eventOf({ action, changes: { description: { from: "a", to: "b" } } })).toBeUndefined();
  });

  it("refuses an item it cannot read, naming its key and what is wrong", () => {
    const { sequence: _dropped, ...broken } = historyItem({ action: "STAGE_CHANGED", version: 3 }, { sequence: 9 });

    expect(() => toModelEvent(broken, BUS)).toThrow(MalformedHistoryItemError);
    expect(() => toModelEvent(broken, BUS)).toThrow(/MODEL#fraud_detector\/HISTORY#0000000009 .*sequence/);
  });
});

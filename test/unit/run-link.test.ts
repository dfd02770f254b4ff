import { describe, expect, it } from "vitest";
import { linkRun, unlinkRun } from "../../shared/store/entities/run-link";

describe("a version's run link", () => {
  it("links the version to its run in the run's index partition, and unlinks the same item", () => {
    const version = { model: "fraud_detector", version: 4, lineage: { runId: "abc123" } };

    const [link] = linkRun(version).map((write) => write.Put?.Item);
    const unlinks = unlinkRun(version).map((write) => write.Delete?.Key);

    expect(link).toMatchObject({
      gsi1pk: "RUN#abc123",
      gsi1sk: "fraud_detector#0000000004",
      runId: "abc123",
      model: "fraud_detector",
      version: 4,
    });
    expect(unlinks).toEqual([{ pk: link?.pk, sk: link?.sk }]);
  });

  it("writes and deletes nothing for a version without a run", () => {
    const version = { model: "fraud_detector", version: 4, lineage: {} };

    expect([...linkRun(version), ...unlinkRun(version)]).toEqual([]);
  });
});

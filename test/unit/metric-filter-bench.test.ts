import { describe, expect, it } from "vitest";
import { aucOf } from "../../bench/metric-filter";

const matching = (versions: number, matches: number) =>
  Array.from({ length: versions }, (_, i) => i + 1).filter((version) => aucOf(version, versions, matches) >= 0.99);

describe("the metric-filter benchmark's seeding", () => {
  it("gives the 1,530-version and the 30-version model 5 versions with auc ≥ 0.99 each, spread evenly", () => {
    expect(matching(1_530, 5)).toEqual([306, 612, 918, 1224, 1530]);
    expect(matching(30, 5)).toEqual([6, 12, 18, 24, 30]);
  });
});

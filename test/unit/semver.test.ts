import { describe, expect, it } from "vitest";
import { bumpSemver, compareSemver, highestSemver } from "../../shared/domain/semver";

describe("semantic version labels", () => {
  it.each([
    [undefined, "major", "1.0.0"],
    [undefined, "minor", "0.1.0"],
    [undefined, "patch", "0.0.1"],
    ["1.4.2", "major", "2.0.0"],
    ["1.4.2", "minor", "1.5.0"],
    ["1.4.2", "patch", "1.4.3"],
  ] as const)("bumps %s by %s to %s", (from, bump, to) => {
    expect(bumpSemver(from, bump)).toBe(to);
  });

  it("compares numerically, not as text", () => {
    expect(compareSemver("1.10.0", "1.9.0")).toBeGreaterThan(0);
    expect(compareSemver("2.0.0", "10.0.0")).toBeLessThan(0);
    expect(compareSemver("1.2.3", "1.2.3")).toBe(0);
  });

  it("keeps the highest label so a bump never collides with an earlier one", () => {
    expect(highestSemver("1.4.0", "1.3.1")).toBe("1.4.0");
    expect(highestSemver("1.4.0", "1.10.0")).toBe("1.10.0");
    expect(highestSemver(undefined, "0.1.0")).toBe("0.1.0");
    expect(highestSemver("0.1.0", undefined)).toBe("0.1.0");
  });
});

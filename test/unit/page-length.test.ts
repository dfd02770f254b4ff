import { describe, expect, it } from "vitest";
import { fittingLength } from "../../shared/store/pages";

const KiB = 1024;
/** A value whose JSON takes `kib` KiB, within a few bytes. */
const jsonOfKiB = (kib: number) => ({ text: "x".repeat(kib * KiB - 11) });

describe("a page built in memory", () => {
  it("holds as many values as fit 2 MiB of JSON, in order", () => {
    expect(fittingLength([jsonOfKiB(600), jsonOfKiB(600), jsonOfKiB(600), jsonOfKiB(600), jsonOfKiB(600)])).toBe(3);
  });

  it("holds at most `limit` values however small", () => {
    expect(fittingLength([jsonOfKiB(1), jsonOfKiB(1), jsonOfKiB(1)], 2)).toBe(2);
    expect(fittingLength([jsonOfKiB(1), jsonOfKiB(1), jsonOfKiB(1)])).toBe(3);
  });

  it("holds its first value even when that alone is larger, so that a listing always moves on", () => {
    expect(fittingLength([jsonOfKiB(3 * 1024), jsonOfKiB(1)])).toBe(1);
  });
});

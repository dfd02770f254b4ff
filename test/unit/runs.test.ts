import { describe, expect, it } from "vitest";
import { runsThatFit } from "../../shared/runs";

const underTen = (run: readonly number[], next: number) => run.reduce((sum, n) => sum + n, next) <= 10;

describe("runsThatFit", () => {
  it("keeps the order and starts a run where the next item does not fit", () => {
    expect(runsThatFit([4, 5, 3, 9, 1, 1], underTen)).toEqual([[4, 5], [3], [9, 1], [1]]);
  });

  it("gives an item too big for any run a run of its own, and no runs for no items", () => {
    expect(runsThatFit([20, 2], underTen)).toEqual([[20], [2]]);
    expect(runsThatFit([], () => true)).toEqual([]);
  });
});

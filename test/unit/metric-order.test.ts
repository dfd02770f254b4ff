import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { orderedMetricKey } from "../../shared/domain/metric-order";

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe("orderedMetricKey", () => {
  it("orders encodings as the numbers they encode, negatives, decimals and extremes included", () => {
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        expect(compare(orderedMetricKey(a), orderedMetricKey(b))).toBe(Math.sign(a - b) || 0);
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps order across a sorted list of hand-picked edge values", () => {
    const values = [
      -Number.MAX_VALUE,
      -1e10,
      -1,
      -0.5,
      -Number.MIN_VALUE,
      0,
      Number.MIN_VALUE,
      1e-300,
      0.1,
      0.98,
      0.982,
      1,
      2 ** 53,
      Number.MAX_VALUE,
    ];
    const encoded = values.map(orderedMetricKey);
    expect([...encoded].sort()).toEqual(encoded);
    expect(new Set(encoded).size).toBe(values.length);
  });

  it("encodes -0 as 0, in 16 hex digits", () => {
    expect(orderedMetricKey(-0)).toBe(orderedMetricKey(0));
    expect(orderedMetricKey(0.95)).toMatch(/^[0-9a-f]{16}$/);
  });
});

const SIGN_BIT = 1n << 63n;
const ALL_BITS = (1n << 64n) - 1n;

/**
 * A metric value as 16 hex digits whose string order is the numbers' order, so that a sort key can
 * range over metric values. IEEE-754 bits, read as an unsigned integer, order positive doubles
 * already; flipping the sign bit puts them above the negatives, and flipping every bit of a negative
 * reverses the negatives' order. -0 is encoded as 0: they are equal numbers. Finite values only.
 */
export function orderedMetricKey(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  const bits = view.getBigUint64(0);
  const ordered = bits & SIGN_BIT ? ~bits & ALL_BITS : bits | SIGN_BIT;
  return ordered.toString(16).padStart(16, "0");
}

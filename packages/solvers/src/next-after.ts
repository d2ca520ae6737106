/**
 * The float64 next to `x` in the direction of `direction` (C's `nextafter`), by stepping the
 * IEEE-754 bit pattern.
 */
export function nextAfter(x: number, direction: number): number {
  if (direction === 0 || Number.isNaN(x) || !Number.isFinite(x)) return x;
  if (x === 0) return direction > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 === direction > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

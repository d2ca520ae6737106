/**
 * The empirical convergence order: the least-squares slope of `log(error)` against `log(dt)`.
 *
 * @throws Error when the arrays differ in length, have fewer than two points or hold
 *   non-positive values.
 * @example
 * ```ts
 * import { empiricalOrder } from '@odekit/testing';
 * const p = empiricalOrder([0.1, 0.05, 0.025], [1e-4, 1.25e-5, 1.5625e-6]);
 * if (Math.abs(p - 3) > 1e-9) throw new Error('bad');
 * ```
 */
export function empiricalOrder(dts: readonly number[], errors: readonly number[]): number {
  if (dts.length !== errors.length || dts.length < 2) {
    throw new Error(
      `empiricalOrder: need two or more (dt, error) pairs of equal length, got ${dts.length} and ${errors.length}.`,
    );
  }
  if ([...dts, ...errors].some((v) => !(v > 0) || !Number.isFinite(v))) {
    throw new Error(
      'empiricalOrder: every dt and error must be positive and finite; drop points at the float32 error floor.',
    );
  }
  const xs = dts.map(Math.log);
  const ys = errors.map(Math.log);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  if (sxx === 0) throw new Error('empiricalOrder: all dts are equal; use several step sizes.');
  return sxy / sxx;
}

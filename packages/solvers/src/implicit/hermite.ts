import type { HostDense } from '../solver.js';

/**
 * Dense output of the implicit solvers: cubic Hermite interpolation through `(y0, f0)` and
 * `(y1, f1)` on the rows `[y0; f0; f1; (y1 − y0)/h]`:
 * `y(t0 + θh) = y0 + h·(h10(θ)·f0 + h11(θ)·f1 + h01(θ)·(y1 − y0)/h)`.
 */
export function hermiteWeights(theta: number, h: number, derivative: boolean): Float32Array {
  const t = theta;
  if (derivative) {
    return Float32Array.from([0, 1 - 4 * t + 3 * t * t, -2 * t + 3 * t * t, 6 * t - 6 * t * t]);
  }
  return Float32Array.from([
    1,
    h * (t - 2 * t * t + t * t * t),
    h * (-t * t + t * t * t),
    h * (3 * t * t - 2 * t * t * t),
  ]);
}

/** The Hermite rows on host memory. */
export function hermiteRows(
  y0: Float64Array,
  y1: Float64Array,
  f0: ArrayLike<number>,
  f1: ArrayLike<number>,
  h: number,
): HostDense {
  const d = new Float64Array(y0.length);
  for (let i = 0; i < d.length; i++) d[i] = ((y1[i] as number) - (y0[i] as number)) / h;
  return { y0, k: [Float64Array.from(f0), Float64Array.from(f1), d] };
}

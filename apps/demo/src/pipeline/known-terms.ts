// What a found term adds to the known terms of its equation: the known terms' values as columns,
// fitted by least squares to what the term misses (their share belongs to the physics' parameters).
import type { Expression } from '@odekit/symbolic';
import { solveSmall } from './best-subset.js';

/**
 * The loss of `e` against `y` with free multiples of the known terms added (ordinary least squares
 * on their columns): how well `e` explains what the known physics cannot.
 */
export function effectiveLoss(
  e: Expression,
  X: Readonly<Record<string, Float64Array>>,
  y: Float64Array,
  known: readonly Float64Array[],
): number {
  const v = e.evaluate(X);
  const r = y.map((yi, i) => yi - (v[i] as number));
  const coef = sharesOf(r, known);
  if (coef !== undefined) {
    for (let i = 0; i < r.length; i++) {
      let s = 0;
      for (let j = 0; j < known.length; j++) s += (coef[j] as number) * ((known[j] as Float64Array)[i] as number);
      r[i] = (r[i] as number) - s;
    }
  }
  let m = 0;
  for (const x of r) m += x * x;
  m /= Math.max(r.length, 1);
  return Number.isFinite(m) ? m : Number.POSITIVE_INFINITY;
}

/**
 * The multiples of the known terms that `e` leaves to the physics: the least-squares coefficients
 * of the known terms' values on what `e` misses of the network's output `y` (the share of
 * `gamma*c` a network learned, e.g.). Undefined with no known terms or a singular system.
 */
export function knownShares(
  e: Expression,
  X: Readonly<Record<string, Float64Array>>,
  y: Float64Array,
  known: readonly Float64Array[],
): number[] | undefined {
  const v = e.evaluate(X);
  return sharesOf(
    y.map((yi, i) => yi - (v[i] as number)),
    known,
  );
}

function sharesOf(r: Float64Array, known: readonly Float64Array[]): number[] | undefined {
  if (known.length === 0) return undefined;
  const k = known.length;
  const A = Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => dotOf(known[a] as Float64Array, known[b] as Float64Array)),
  );
  const coef = solveSmall(
    A,
    known.map((col) => dotOf(col, r)),
  );
  return coef?.every(Number.isFinite) ? coef : undefined;
}

function dotOf(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

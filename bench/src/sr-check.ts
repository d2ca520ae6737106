// Recovery checks for the SR workload (SRBench's rule, adapted): see sr.ts.
import { createRng } from '@odekit/core';
import {
  binary,
  constant,
  Expression,
  type ExprNode,
  refitConstants,
  roundConstants,
  simplify,
  unary,
} from '@odekit/symbolic';

export type Box = Record<string, [number, number]>;
export type Columns = Record<string, Float64Array>;

/** `n` uniform samples in `box` from a seeded stream. */
export function sampleBox(box: Box, n: number, seed: number): Columns {
  const rng = createRng(seed);
  const out: Columns = {};
  for (const name of Object.keys(box)) out[name] = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (const [name, [lo, hi]] of Object.entries(box))
      (out[name] as Float64Array)[i] = lo + (hi - lo) * rng.nextFloat();
  }
  return out;
}

export function slice(cols: Columns, from: number, to: number): Columns {
  const out: Columns = {};
  for (const [k, v] of Object.entries(cols)) out[k] = v.slice(from, to);
  return out;
}

const rms = (v: Float64Array): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);

export function r2(pred: Float64Array, y: Float64Array): number {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  let ssr = 0;
  let sst = 0;
  y.forEach((v, i) => {
    ssr += ((pred[i] as number) - v) ** 2;
    sst += (v - mean) ** 2;
  });
  return Number.isFinite(ssr) ? 1 - ssr / sst : Number.NEGATIVE_INFINITY;
}

/** NRMSE = RMSE / std(y). */
export function nrmse(pred: Float64Array, y: Float64Array): number {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const err = pred.map((p, i) => p - (y[i] as number));
  const std = rms(y.map((v) => v - mean));
  const e = rms(err);
  return Number.isFinite(e) ? e / std : Number.POSITIVE_INFINITY;
}

/** Rewrites `c^u` with a numeric base c > 0 as `exp(log(c)·u)` (an identity), so that rounding hits log(c). */
function expBases(n: ExprNode): ExprNode {
  switch (n.kind) {
    case 'const':
    case 'var':
      return n;
    case 'unary':
      return unary(n.op, expBases(n.arg));
    case 'binary':
      if (n.op === '^' && n.left.kind === 'const' && n.left.value > 0) {
        return unary('exp', binary('*', constant(Math.log(n.left.value)), expBases(n.right)));
      }
      return binary(n.op, expBases(n.left), expBases(n.right));
    default:
      return n;
  }
}

/**
 * (a) equivalence up to an additive constant or a non-zero factor after rounding the constants to
 * 3 decimals, checked numerically: the best affine map a·model + b must match the truth within
 * 1e-4 of its standard deviation (max error) on 2,000 points of a box three times as wide as the
 * data's (extended upwards: an extrapolation test that look-alikes fail; exact forms pass with
 * round-off-level errors once their constants round to the truth's, as in SRBench);
 * (b) NRMSE ≤ 1e-3 on the clean test split after refitting the constants on the clean train split;
 * numeric bases are first rewritten as `c^u = exp(log(c)·u)` (so `1.5*0.67032^y*x` is compared as
 * `1.5*exp(-0.4*y)*x`, as sympy's canonical form would);
 * (c) no variable outside the truth's;
 * (d) after simplify, at most 1.5× as complex as the truth plus 2: a stand-in for SRBench's
 * symbolic (sympy) check, which terms that vanish numerically (`exp(−160 − …)`) would otherwise pass.
 */
export function isRecovered(
  model: Expression,
  truth: Expression,
  box: Box,
  train: { X: Columns; y: Float64Array },
  test: { X: Columns; y: Float64Array },
): boolean {
  const tv = new Set(truth.variables);
  if (!model.variables.every((v) => tv.has(v))) return false;
  if (simplify(model).complexity > 1.5 * simplify(truth).complexity + 2) return false;
  const refit = refitConstants(model, { X: train.X, y: train.y, iterations: 200 });
  if (!(nrmse(refit.evaluate(test.X), test.y) <= 1e-3)) return false;
  const big: Box = {};
  for (const [k, [lo, hi]] of Object.entries(box)) big[k] = [lo, hi + 2 * (hi - lo)];
  const X = sampleBox(big, 2000, 12345);
  const m = roundConstants(new Expression(expBases(refit.root)), 3).evaluate(X);
  const t = truth.evaluate(X);
  const ok: number[] = [];
  m.forEach((v, i) => {
    if (Number.isFinite(v) && Number.isFinite(t[i] as number)) ok.push(i);
  });
  if (ok.length < 0.9 * m.length) return false;
  // least squares for t ≈ a·m + b
  let sm = 0;
  let st = 0;
  let smm = 0;
  let smt = 0;
  for (const i of ok) {
    const a = m[i] as number;
    const b = t[i] as number;
    sm += a;
    st += b;
    smm += a * a;
    smt += a * b;
  }
  const n = ok.length;
  const den = n * smm - sm * sm;
  if (!(Math.abs(den) > 1e-300)) return false;
  const a = (n * smt - sm * st) / den;
  const b = (st - a * sm) / n;
  if (!(Math.abs(a) > 1e-9)) return false;
  let maxErr = 0;
  let sq = 0;
  const tMean = st / n;
  for (const i of ok) {
    maxErr = Math.max(maxErr, Math.abs(a * (m[i] as number) + b - (t[i] as number)));
    sq += ((t[i] as number) - tMean) ** 2;
  }
  return maxErr <= 1e-4 * Math.sqrt(sq / n);
}

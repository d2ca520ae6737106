// The SR-suite's judge: is a found expression the truth's term, symbolically, with its constants?
//
// A model M is recovered for the truth T when all of these hold:
//  (1) no unused inputs: M uses exactly the variables T uses (a distractor in M fails);
//  (2) size: simplify(M) is at most 1.5× as complex as simplify(T) plus 2 (terms that vanish
//      numerically, `1e-9*exp(x)`, cannot hide in a bigger tree);
//  (3) symbolic equivalence of the form: with M's constants refit on clean samples of T, M equals T
//      as functions — checked by identity testing at 2,000 random points of a box three times as
//      wide as the data's (extended upwards for non-negative inputs; two real expressions that agree, to 1e-6 of T's RMS, at random points of
//      an open set are the same analytic function: the Schwartz–Zippel argument of randomised
//      identity testing; look-alikes that only fit the data's box fail the extrapolation);
//  (4) constants within 1 %: M as found (not refit) is within 1 % of T on the data's box
//      (RMS(M − T) ≤ 0.01 · RMS(T)), which constants off by more than 1 % do not meet;
//  (5) no extra term: the refit of (3), which starts from M's constants, keeps each of them (none
//      shrinks to under 1 % of its found value). A term whose constant the truth does not need
//      (`0.499*(0.015/y + y)*x` for `0.5*x*y`, a `- 0.014` offset) is a different equation,
//      however small its effect on the data's box; (3) alone accepted it, since its refit sets
//      that constant to 0. An exact rearrangement keeps its constants (`2 - 1.6/(x^2 + 0.8)` for
//      `2*x^2/(0.8 + x^2)`), although another form without one of them (`2.5/(x^-2 + 1.25)`)
//      would fit too.
// This replaces a computer-algebra equivalence check (sympy in SRBench) by randomised identity
// testing, which also accepts every algebraically equal rearrangement (`x/(0.5 + x)` for
// `2x/(1 + 2x)`).
import { Expression, parseExpression, refitConstants, simplify } from '@odekit/symbolic';
import { type Box, type Columns, sampleBox } from './sr-check.js';

const rmsOf = (v: Float64Array): number => Math.sqrt(v.reduce((a, b) => a + b * b, 0) / Math.max(1, v.length));

/** Max |a − b| over rows where both are finite; Infinity when more than 1 % of rows are not finite. */
function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  let bad = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (Number.isFinite(d)) m = Math.max(m, d);
    else if (Number.isFinite(b[i] as number)) bad++;
  }
  return bad > 0.01 * a.length ? Number.POSITIVE_INFINITY : m;
}

export interface Verdict {
  readonly recovered: boolean;
  /** The first condition that failed. */
  readonly reason?: 'inputs' | 'size' | 'form' | 'constants' | 'extra-term';
}

/** Judges `model` against `truth` (see the file comment); `box` is the data's box. */
export function judge(model: Expression, truth: Expression, box: Box, seed = 7): Verdict {
  const tv = [...truth.variables].sort().join();
  if ([...model.variables].sort().join() !== tv) return { recovered: false, reason: 'inputs' };
  if (simplify(model).complexity > 1.5 * simplify(truth).complexity + 2) return { recovered: false, reason: 'size' };
  const X: Columns = sampleBox(box, 2000, seed);
  const t = truth.evaluate(X);
  const scale = rmsOf(t);
  const own = model.evaluate(X);
  const fit = refitConstants(model, { X, y: t, iterations: 200 });
  const big: Box = {};
  // three times as wide: upwards only for non-negative inputs (populations, concentrations)
  for (const [k, [lo, hi]] of Object.entries(box))
    big[k] = lo >= 0 ? [lo, hi + 2 * (hi - lo)] : [lo - (hi - lo), hi + (hi - lo)];
  // the wide box may leave the domain of log/sqrt/^ (e.g. log of negatives): compare where T is defined
  const Xb = sampleBox(big, 2000, seed + 1);
  const tb = truth.evaluate(Xb);
  const scaleBig = rmsOf(tb.filter(Number.isFinite));
  if (!(maxDiff(fit.evaluate(Xb), tb) <= 1e-6 * scaleBig)) {
    // a form whose refit is only as good as the optimiser may need a second start from the found constants
    if (!(maxDiff(fit.evaluate(X), t) <= 1e-6 * scale) || !(maxDiff(fit.evaluate(Xb), tb) <= 1e-4 * scaleBig))
      return { recovered: false, reason: 'form' };
  }
  const err = own.map((v, i) => v - (t[i] as number));
  if (!(rmsOf(err) <= 0.01 * scale)) return { recovered: false, reason: 'constants' };
  // (5): the refit of M's own form to the truth (from M's constants) does without a constant of M
  const found = model.constants;
  const refit = fit.constants;
  for (let i = 0; i < found.length; i++) {
    const c = found[i] as number;
    if (c !== 0 && Math.abs(refit[i] as number) <= 0.01 * Math.abs(c))
      return { recovered: false, reason: 'extra-term' };
  }
  return { recovered: true };
}

/** Parses and judges; a convenience for tests and the runner. */
export function judgeString(model: string, truth: string, box: Box): Verdict {
  return judge(parseExpression(model), parseExpression(truth), box);
}

export { Expression };

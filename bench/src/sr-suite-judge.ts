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
//  (5) no extra term: no constant of M can be set to 0 with M still passing (3) after the refit
//      of the others. A term whose constant the truth does not need (`0.499*(0.015/y + y)*x` for
//      `0.5*x*y`, a `- 0.014` offset) is a different equation, however small its effect on the
//      data's box; (3) alone accepted it, since the refit sets that constant to 0.
// This replaces a computer-algebra equivalence check (sympy in SRBench) by randomised identity
// testing, which also accepts every algebraically equal rearrangement (`x/(0.5 + x)` for
// `2x/(1 + 2x)`).
import {
  binary,
  call,
  Expression,
  type ExprNode,
  parseExpression,
  refitConstants,
  simplify,
  unary,
  variable,
} from '@odekit/symbolic';
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

/** The name of the input that stands for a constant held at 0 in rule (5). */
const ZERO = '__zero';

/** `node` with its `index`-th constant (in `constantsOf` order) replaced by the input {@link ZERO}. */
function zeroConstant(node: ExprNode, index: number): ExprNode {
  let k = 0;
  const visit = (n: ExprNode): ExprNode => {
    switch (n.kind) {
      case 'const':
        return k++ === index ? variable(ZERO) : n;
      case 'var':
        return n;
      case 'unary':
        return unary(n.op, visit(n.arg));
      case 'binary': {
        const left = visit(n.left);
        return binary(n.op, left, visit(n.right));
      }
      case 'call':
        return call(n.name, n.args.map(visit));
    }
  };
  return visit(node);
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
  const cs = model.constants;
  for (let i = 0; i < cs.length; i++) {
    if (cs[i] === 0) continue;
    // the constant becomes an input held at 0, so the refit of the others cannot move it
    const without = new Expression(zeroConstant(model.root, i));
    const X0 = { ...X, [ZERO]: new Float64Array(t.length) };
    const Xb0 = { ...Xb, [ZERO]: new Float64Array(tb.length) };
    const refit = refitConstants(without, { X: X0, y: t, iterations: 200 });
    if (maxDiff(refit.evaluate(X0), t) <= 1e-6 * scale && maxDiff(refit.evaluate(Xb0), tb) <= 1e-4 * scaleBig)
      return { recovered: false, reason: 'extra-term' };
  }
  return { recovered: true };
}

/** Parses and judges; a convenience for tests and the runner. */
export function judgeString(model: string, truth: string, box: Box): Verdict {
  return judge(parseExpression(model), parseExpression(truth), box);
}

export { Expression };

import { cancelCommonFactors } from './cancel-factors.js';
import { binary, constant, constantsOf, type ExprNode, unary, withConstants } from './node.js';
import type { OpName } from './operators.js';
import { printNode } from './print.js';
import { simplify } from './simplify.js';
import { preorder, replaceAt } from './tree-edit.js';

/** Options of {@link tidyTree}. */
export interface TidyOptions {
  /** The loss of a tree (e.g. the search's full-data MSE). */
  readonly lossOf: (tree: ExprNode) => number;
  /** Relative loss increase allowed over the input's loss (default 1e-3). */
  readonly tolerance?: number;
  /** Absolute slack added to the allowed loss (e.g. the round-off floor; default 0). */
  readonly floor?: number;
  /** Operators the result may use (passed to `simplify`). */
  readonly operators?: Iterable<OpName>;
  /** How a tree's size is counted (default: node count). */
  readonly complexity?: (tree: ExprNode) => number;
  /**
   * Refits the constants of a tree not marked `frozen` (by pre-order index) and returns the refit
   * tree and its loss. Given, a pruned tree or a rounded constant whose loss exceeds the limit gets
   * a second chance with the other constants refit: `3.98*x - 0.99*x^2.005` rounds to `4*x - x^2`
   * when the data (noisy, so the fitted 2.005 is noise) support it.
   */
  readonly refit?: (tree: ExprNode, frozen: readonly boolean[]) => { tree: ExprNode; loss: number };
  /** At most this many refits per pass (default 6); rounding tries a refit only to 1–3 digits. */
  readonly maxRefits?: number;
}

type Refit = NonNullable<TidyOptions['refit']>;

/** `refit` limited to `max` calls (undefined after them), so tidying stays cheap. */
function budgeted(refit: Refit | undefined, max: number): (() => Refit | undefined) | undefined {
  if (refit === undefined) return undefined;
  let left = max;
  return () => (left-- > 0 ? refit : undefined);
}

const countNodes = (t: ExprNode): number => preorder(t).length;

/** `f·n` with the factor pushed into the terms of sums and onto leading constant coefficients. */
function scaled(n: ExprNode, f: number): ExprNode {
  if (n.kind === 'const') return constant(n.value * f);
  if (n.kind === 'binary' && (n.op === '+' || n.op === '-')) return binary(n.op, scaled(n.left, f), scaled(n.right, f));
  if (n.kind === 'binary' && (n.op === '*' || n.op === '/') && n.left.kind === 'const')
    return binary(n.op, constant(n.left.value * f), n.right);
  return binary('*', constant(f), n);
}

/** The coefficient of a term of a sum: `c` of `c*rest` or `c/rest`, 1 otherwise. */
const coefOf = (t: ExprNode): number =>
  t.kind === 'const'
    ? t.value
    : t.kind === 'binary' && (t.op === '*' || t.op === '/') && t.left.kind === 'const'
      ? t.left.value
      : 1;

/** The terms of a +/- chain with their signs. */
function termsOf(n: ExprNode, sign: number, out: { t: ExprNode; s: number }[]): void {
  if (n.kind === 'binary' && (n.op === '+' || n.op === '-')) {
    termsOf(n.left, sign, out);
    termsOf(n.right, n.op === '-' ? -sign : sign, out);
  } else out.push({ t: n, s: sign });
}

/**
 * Divides numerator and denominator of every quotient whose denominator is a sum by one of its
 * coefficients: the constant term (`'const'`, `x/(0.4999998*x + 0.9999996)` → `x/(0.5*x + 1)`) or
 * that of its first non-constant term (`'lead'`, `2.857*x/(1.4286*x + 1)` → `2*x/(x + 0.7)`). The
 * scale of a ratio is free; fixing it lets the constants round.
 */
function normalizeRatios(n: ExprNode, mode: 'const' | 'lead'): ExprNode {
  switch (n.kind) {
    case 'unary': {
      const a = normalizeRatios(n.arg, mode);
      return a === n.arg ? n : unary(n.op, a);
    }
    case 'binary': {
      const l = normalizeRatios(n.left, mode);
      const r = normalizeRatios(n.right, mode);
      if (n.op === '/' && r.kind === 'binary' && (r.op === '+' || r.op === '-')) {
        const terms: { t: ExprNode; s: number }[] = [];
        termsOf(r, 1, terms);
        const pick =
          mode === 'const' ? terms.find((x) => x.t.kind === 'const') : terms.find((x) => x.t.kind !== 'const');
        const c = pick === undefined ? 0 : pick.s * coefOf(pick.t);
        if (c !== 0 && c !== 1 && Number.isFinite(1 / c)) return binary('/', scaled(l, 1 / c), scaled(r, 1 / c));
      }
      return l === n.left && r === n.right ? n : binary(n.op, l, r);
    }
    default:
      return n;
  }
}

/** `v` rounded to `digits` significant digits. */
export function roundSignificant(v: number, digits: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  return Number(v.toPrecision(digits)) + 0;
}

/**
 * A readable version of `tree` whose loss stays within `(1 + tolerance)·loss + floor` of the
 * input's: simplified (common variable factors of a ratio cancelled, see `cancelCommonFactors`;
 * constant folding, like terms, no `x - -0.42`), then pruned (a constant set
 * to 0 or a sum reduced to one of its operands, whenever that keeps the loss — terms such as
 * `-1.98e-17*x` vanish), then each constant rounded to the fewest significant digits (1 to 15)
 * the loss supports, and simplified again. Returns the tree and its loss. Diffrax's symbolic
 * regression example rounds to a fixed 0.01; here the loss decides how many digits stay.
 *
 * @example
 * ```ts
 * import { Expression, type ExprNode, parseExpression, tidyTree } from '@odekit/symbolic';
 * const x = Float64Array.from({ length: 50 }, (_, i) => i / 10);
 * const lossOf = (t: ExprNode): number => {
 *   const f = new Expression(t).evaluate({ x });
 *   return x.reduce((s, v, i) => s + ((f[i] ?? 0) - 1.3 * v) ** 2, 0) / x.length;
 * };
 * const { tree } = tidyTree(parseExpression('1.30000000001*x - -1e-17*x*x').root, { lossOf, floor: 1e-20 });
 * if (new Expression(tree).toString() !== '1.3*x') throw new Error(new Expression(tree).toString());
 * ```
 */
export function tidyTree(tree: ExprNode, options: TidyOptions): { tree: ExprNode; loss: number } {
  const { lossOf, tolerance = 1e-3, floor = 0, operators } = options;
  const size = options.complexity ?? countNodes;
  const ops = operators === undefined ? undefined : new Set(operators);
  const simp = (t: ExprNode): ExprNode => simplify(t, ops === undefined ? {} : { operators: ops });
  const loss0 = lossOf(tree);
  if (!Number.isFinite(loss0)) return { tree, loss: loss0 };
  const limit = (1 + tolerance) * loss0 + floor;
  let best: { tree: ExprNode; loss: number } | undefined;
  const start = simp(cancelCommonFactors(tree));
  const startLoss = lossOf(start);
  const base = startLoss <= limit ? start : tree;
  // one pass per normalisation of the ratios; the smallest, then shortest printed result wins
  for (const mode of [undefined, 'const', 'lead'] as const) {
    const t0 = mode === undefined ? base : simp(normalizeRatios(base, mode));
    if (mode !== undefined && t0 === base) continue;
    const r = tidyPass(t0, lossOf, limit, simp, size, budgeted(options.refit, options.maxRefits ?? 6));
    if (r === undefined) continue;
    if (
      best === undefined ||
      size(r.tree) < size(best.tree) ||
      (size(r.tree) === size(best.tree) && printNode(r.tree).length < printNode(best.tree).length)
    )
      best = r;
  }
  return best ?? { tree, loss: loss0 };
}

/** Prune and round `start` within `limit` (see {@link tidyTree}); undefined when `start` exceeds it. */
function tidyPass(
  start: ExprNode,
  lossOf: (t: ExprNode) => number,
  limit: number,
  simp: (t: ExprNode) => ExprNode,
  size: (t: ExprNode) => number,
  refitter: (() => Refit | undefined) | undefined,
): { tree: ExprNode; loss: number } | undefined {
  let cur = start;
  let curLoss = lossOf(start);
  if (!(curLoss <= limit)) return undefined;
  const accept = (t: ExprNode, bigger = false): boolean => {
    if (!bigger && size(t) > size(cur)) return false;
    let l = lossOf(t);
    const refit = !(l <= limit) && constantsOf(t).length > 0 ? refitter?.() : undefined;
    if (refit !== undefined) {
      const r = refit(t, []);
      t = r.tree;
      l = r.loss;
    }
    if (!(l <= limit)) return false;
    cur = t;
    curLoss = l;
    return true;
  };
  // prune: zero constants, drop operands of sums, while the loss allows and the tree shrinks
  for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
    changed = false;
    const nodes = preorder(cur);
    for (let i = 0; i < nodes.length && !changed; i++) {
      const n = nodes[i] as ExprNode;
      if (n.kind === 'const' && n.value !== 0) changed = accept(simp(replaceAt(cur, i, constant(0))));
      else if (n.kind === 'binary' && (n.op === '+' || n.op === '-')) {
        changed =
          accept(simp(replaceAt(cur, i, n.left))) ||
          accept(simp(replaceAt(cur, i, n.op === '+' ? n.right : binary('*', constant(-1), n.right))));
      }
    }
  }
  // round each constant to the fewest significant digits the loss supports (with the constants not
  // yet rounded refit, where a refit is given and the plain rounding exceeds the limit)
  let values = constantsOf(cur);
  const frozen = values.map(() => false);
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    frozen[k] = true;
    for (let d = 1; d <= 15; d++) {
      const r = roundSignificant(v, d);
      if (r === v) break;
      const trial = values.slice();
      trial[k] = r;
      let t = withConstants(cur, trial);
      let l = lossOf(t);
      const refit = !(l <= limit) && d <= 3 && frozen.some((f) => !f) ? refitter?.() : undefined;
      if (refit !== undefined) {
        const fit = refit(t, frozen);
        t = fit.tree;
        l = fit.loss;
      }
      if (l <= limit) {
        values = constantsOf(t);
        cur = t;
        curLoss = l;
        break;
      }
    }
  }
  accept(simp(cur), true);
  return { tree: cur, loss: curLoss };
}

import {
  binary,
  constant,
  constantsOf,
  Expression as Expr,
  type Expression,
  type ExprNode,
  type HallOfFameEntry,
  polynomialLibrary,
  refitConstants,
  type SymbolicRegressionOptions,
  type SymbolicRegressionResult,
  simplify,
  sparseRegression,
  substituteVariables,
  unary,
  variable,
  withConstants,
} from '@odekit/symbolic';
import { bestSubsets } from './best-subset.js';
import { expandPolynomial } from './expand-polynomial.js';
import { effectiveLoss } from './known-terms.js';
import { rationalSubsets } from './rational-subsets.js';
import type { StageSettings } from './types.js';

/** A symbolic search: `symbolicRegression` of @odekit/symbolic, or its Node version with `workers`. */
export type SearchFunction = (
  options: SymbolicRegressionOptions & { readonly workers?: number | 'auto' },
) => Promise<SymbolicRegressionResult>;

/**
 * Search evaluations granted per second of `--budget` (measured: about 19,000 per second for
 * 10,000 samples on one core of the 2-core reference machine). The budget becomes a fixed number
 * of evaluations so that a seeded serial run is the same twice; the wall-clock limit (20x + 60 s) is
 * only a safety net.
 */
export const EVALUATIONS_PER_SECOND = 15000;

/** Relative RMS against the network within which a best-subset polynomial is judged on the data. */
export const SUBSET_TOLERANCE = 0.35;

/** Rational candidates (see `rationalSubsets`) judged on the data per network, at most. */
export const RATIONAL_CANDIDATES = 3;

/**
 * An expression's form: its text with every non-integer constant written `#` (`0.45*c*r` and
 * `0.4498*c*r` are one form; `c^2` and `c^3` are two).
 */
export function formOf(e: Expression): string {
  return e.toString().replace(/\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+/g, '#');
}

/** Free constants of an expression (integer exponents are fixed). */
export function freeCount(e: Expression): number {
  let n = 0;
  const visit = (node: ExprNode, exponent: boolean): void => {
    if (node.kind === 'const') {
      if (!(exponent && Number.isInteger(node.value))) n++;
    } else if (node.kind === 'unary') visit(node.arg, false);
    else if (node.kind === 'binary') {
      visit(node.left, false);
      visit(node.right, node.op === '^');
    } else if (node.kind === 'call') for (const a of node.args) visit(a, false);
  };
  visit(e.root, false);
  return n;
}

/** Options of {@link discoverTerm}. */
export interface DiscoverOptions {
  /** Inputs by variable name and the network's output on the sampled states, `[N]` each. */
  readonly X: Readonly<Record<string, Float64Array>>;
  readonly y: Float64Array;
  readonly settings: StageSettings;
  readonly seed: number;
  /** Seconds of search. */
  readonly budget: number;
  /** 0: serial on this thread (deterministic); otherwise passed to the search as `workers`. */
  readonly workers: number | 'auto';
  readonly search: SearchFunction;
  readonly signal?: AbortSignal;
  readonly onFront?: (front: readonly HallOfFameEntry[], fraction: number) => void;
  /**
   * The known terms of the network's equation in the search's variables, parameters left out
   * (for `-gamma*c + delta*r*c + NN(r, c)`: `c` and `r*c`). Terms of the found expression
   * proportional to one of them are left to the physics' parameters in the refit.
   */
  readonly knownTerms?: readonly Expression[];
  /**
   * The network on the states where it was trained (the data's trajectories), when the search's
   * samples `X` go further: its best polynomial subsets join the candidates judged on the data.
   */
  readonly along?: { readonly X: Readonly<Record<string, Float64Array>>; readonly y: Float64Array };
}

/** What {@link discoverTerm} found. */
export interface Discovery {
  /** The chosen expression, simplified, pruned and with constants rounded. */
  readonly expr: Expression;
  /** The search's choice before pruning and rounding. */
  readonly searched: Expression;
  /**
   * The candidates the refit judges on the data itself, simplest first (pruned, rounded): the
   * choice, up to three front entries of the nearest complexities within 10x the tolerance, and
   * the best polynomial subsets of 1–3 terms within `SUBSET_TOLERANCE` of the network.
   */
  readonly alternatives: readonly Expression[];
  readonly front: readonly HallOfFameEntry[];
  readonly networkRms: number;
  readonly errorRms: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly stopReason: string;
  /** How the choice was made, in words. */
  readonly message: string;
}

const mse = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return s / a.length;
};

/** Mean squared error of `e` on the samples (Infinity when not finite). */
export function sampleLoss(e: Expression, X: Readonly<Record<string, Float64Array>>, y: Float64Array): number {
  const v = mse(e.evaluate(X), y);
  return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
}

/** Rounds every constant to `digits` significant digits (round-off like `-1.98e-17` becomes 0 and is simplified away). */
export function roundSignificant(e: Expression, digits: number, scale = 1): Expression {
  const root = withConstants(
    e.root,
    constantsOf(e.root).map((c) => {
      if (Math.abs(c) < 1e-9 * Math.max(1, scale)) return 0;
      return Number(c.toPrecision(digits)) + 0;
    }),
  );
  return simplify(new Expr(root));
}

/**
 * `refitConstants` with integer exponents held fixed (`x^2` stays a square): each integer exponent
 * becomes a constant data column for the fit and is put back after.
 */
export function refitKeepingPowers(
  e: Expression,
  X: Readonly<Record<string, Float64Array>>,
  y: Float64Array,
  iterations: number,
): Expression {
  const n = y.length;
  const cols: Record<string, Float64Array> = { ...X };
  const values: number[] = [];
  const lift = (node: ExprNode): ExprNode => {
    switch (node.kind) {
      case 'binary': {
        const right =
          node.op === '^' && node.right.kind === 'const' && Number.isInteger(node.right.value)
            ? (() => {
                const name = `__power${values.length}`;
                values.push(node.right.value);
                cols[name] = new Float64Array(n).fill(node.right.value);
                return variable(name);
              })()
            : lift(node.right);
        return binary(node.op, lift(node.left), right);
      }
      case 'unary':
        return unary(node.op, lift(node.arg));
      default:
        return node;
    }
  };
  const lifted = lift(e.root);
  if (values.length === 0) return refitConstants(e, { X, y, iterations });
  const fitted = refitConstants(new Expr(lifted), { X: cols, y, iterations });
  const back = substituteVariables(fitted.root, Object.fromEntries(values.map((v, i) => [`__power${i}`, constant(v)])));
  return new Expr(back);
}

/** The integer exponents of a tree, as text (to tell whether a refit moved one). */
function integerPowers(n: ExprNode): string {
  if (n.kind === 'binary') {
    const own = n.op === '^' && n.right.kind === 'const' ? `${n.right.value},` : '';
    return own + integerPowers(n.left) + integerPowers(n.right);
  }
  if (n.kind === 'unary') return integerPowers(n.arg);
  if (n.kind === 'call') return n.args.map(integerPowers).join('');
  return '';
}

const freeConstants = (e: Expression): number => constantsOf(e.root).filter((c) => !Number.isInteger(c)).length;

/**
 * Tries to make `e` simpler while its loss stays within `tol`: each constant in turn set to 0,
 * or to the nearest integer, with the other constants refit (Levenberg–Marquardt, float64).
 */
function prune(
  e: Expression,
  X: Readonly<Record<string, Float64Array>>,
  y: Float64Array,
  tol: number,
  lossOf: (e: Expression) => number,
): Expression {
  let current = e;
  for (let round = 0; round < 8; round++) {
    const consts = constantsOf(current.root);
    let improved = false;
    for (let i = 0; i < consts.length && !improved; i++) {
      const c = consts[i] as number;
      for (const v of [0, Math.round(c)]) {
        if (v === c || (v !== 0 && Math.abs(v - c) > 0.2 * Math.abs(c))) continue;
        const changed = consts.slice();
        changed[i] = v;
        const snapped = simplify(new Expr(withConstants(current.root, changed)));
        let refit: Expression | undefined;
        try {
          refit = refitKeepingPowers(snapped, X, y, 60);
          if (integerPowers(refit.root) !== integerPowers(snapped.root)) refit = undefined;
        } catch {
          refit = undefined;
        }
        for (const candidate of refit === undefined ? [snapped] : [snapped, refit]) {
          // Simpler: fewer nodes, or as many with fewer free (non-integer) constants.
          const simpler =
            candidate.complexity < current.complexity ||
            (candidate.complexity === current.complexity && freeConstants(candidate) < freeConstants(current));
          if (simpler && lossOf(candidate) <= tol) {
            current = candidate;
            improved = true;
            break;
          }
        }
        if (improved) break;
      }
    }
    if (!improved) break;
  }
  return current;
}

type Signed = { node: ExprNode; sign: 1 | -1 };

/** The additive terms of a tree with their signs (`a - (b + c)` → +a, −b, −c). */
export function additiveTerms(n: ExprNode, sign: 1 | -1 = 1): Signed[] {
  if (n.kind === 'binary' && (n.op === '+' || n.op === '-')) {
    return [...additiveTerms(n.left, sign), ...additiveTerms(n.right, n.op === '-' ? (-sign as 1 | -1) : sign)];
  }
  if (n.kind === 'unary' && n.op === 'neg') return additiveTerms(n.arg, -sign as 1 | -1);
  return [{ node: n, sign }];
}

/** The sum of signed terms as a tree. */
export function sumOf(terms: readonly Signed[]): ExprNode {
  let out: ExprNode | undefined;
  for (const t of terms) {
    if (out === undefined) out = t.sign === 1 ? t.node : binary('*', constant(-1), t.node);
    else out = binary(t.sign === 1 ? '+' : '-', out, t.node);
  }
  return out ?? constant(0);
}

/** Whether `a` is a constant multiple of `b` on the samples. */
function proportional(a: Float64Array, b: Float64Array): boolean {
  let first: number | undefined;
  for (let i = 0; i < a.length; i++) {
    const bi = b[i] as number;
    if (Math.abs(bi) < 1e-12) continue;
    const q = (a[i] as number) / bi;
    if (!Number.isFinite(q)) return false;
    if (first === undefined) first = q;
    else if (Math.abs(q - first) > 1e-9 * Math.max(1, Math.abs(first))) return false;
  }
  return first !== undefined;
}

/**
 * Drops the terms of `e` that are constant multiples of a known term of the equation (the known
 * physics already has them, with a trainable parameter) when the rest, with free multiples of the
 * known terms, still fits within `tol`. Without this, a physics error learned by the network (or
 * absorbed by the physics fit) makes the found term carry `a*c` that belongs to `gamma*c`.
 */
function absorbKnownTerms(
  e: Expression,
  known: readonly Expression[],
  X: Readonly<Record<string, Float64Array>>,
  y: Float64Array,
  tol: number,
): { expr: Expression; dropped: string[]; loss: number } {
  const none = { expr: e, dropped: [], loss: Number.NaN };
  if (known.length === 0) return none;
  const knownValues = known.map((k) => k.evaluate(X));
  const terms = additiveTerms(e.root);
  const keep: Signed[] = [];
  const dropped: string[] = [];
  for (const t of terms) {
    const v = new Expr(t.node).evaluate(X);
    if (knownValues.some((k) => proportional(v, k))) dropped.push(roundSignificant(new Expr(t.node), 3).toString());
    else keep.push(t);
  }
  if (dropped.length === 0 || keep.length === 0) return none;
  const rest = sumOf(keep);
  let free: ExprNode = rest;
  for (const k of known) free = binary('+', free, binary('*', constant(0.5), k.root));
  let fitted: Expression;
  try {
    fitted = refitKeepingPowers(new Expr(free), X, y, 100);
  } catch {
    return none;
  }
  const loss = sampleLoss(fitted, X, y);
  if (loss > tol) return none;
  // The left-most operand of the nested sums is the rest with its refit constants.
  let node = fitted.root;
  for (let i = 0; i < known.length; i++) node = (node as { left: ExprNode }).left;
  return { expr: simplify(new Expr(node)), dropped, loss };
}

/**
 * Sparse polynomial fits (STLSQ, SINDy's method) at several thresholds: polynomial terms such as
 * the UDE paper's `r*c` are found this way reliably and fast; they join the search's front.
 */
function sparseCandidates(
  X: Readonly<Record<string, Float64Array>>,
  y: Float64Array,
  scale: number,
): HallOfFameEntry[] {
  const degree = Object.keys(X).length <= 2 ? 3 : 2;
  const out: HallOfFameEntry[] = [];
  for (const t of [0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 1]) {
    try {
      const e = sparseRegression({ X, y, library: polynomialLibrary({ degree }), threshold: t * scale });
      out.push({ complexity: e.complexity, loss: sampleLoss(e, X, y), score: 0, expr: e });
    } catch {
      // a degenerate library on these samples: no candidate at this threshold
    }
  }
  return out;
}

/** The Pareto front (lowest loss at each complexity, each entry beating every simpler one) of both lists. */
export function mergeFronts(a: readonly HallOfFameEntry[], b: readonly HallOfFameEntry[]): HallOfFameEntry[] {
  const byComplexity = new Map<number, HallOfFameEntry>();
  for (const e of [...a, ...b]) {
    if (!Number.isFinite(e.loss)) continue;
    const old = byComplexity.get(e.complexity);
    if (old === undefined || e.loss < old.loss) byComplexity.set(e.complexity, e);
  }
  const sorted = [...byComplexity.values()].sort((x, y) => x.complexity - y.complexity);
  const out: HallOfFameEntry[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || e.loss < last.loss) {
      const score = last === undefined ? 0 : -Math.log(e.loss / last.loss) / (e.complexity - last.complexity);
      out.push({ ...e, score: Number.isFinite(score) ? score : 0 });
    }
  }
  return out;
}

/**
 * Symbolic regression of one network's output on sampled states, and the choice: the simplest
 * expression of the Pareto front whose loss is within the network's own error — within
 * `selectionTolerance` × the output's RMS, or 2 × the lowest loss — then
 * pruned (constants set to 0 or integers while the loss stays within that), its constants rounded
 * to the digits the error supports.
 */
export async function discoverTerm(o: DiscoverOptions): Promise<Discovery> {
  const { X, y, settings, seed, budget, workers, search, signal, onFront } = o;
  const networkRms = Math.sqrt(mse(y, new Float64Array(y.length)));
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const networkStd = Math.sqrt(mse(y, new Float64Array(y.length).fill(mean)));
  const result = await search({
    X,
    y,
    seed,
    maxSize: settings.maxSize,
    binaryOperators: settings.binaryOperators,
    unaryOperators: settings.unaryOperators as NonNullable<SymbolicRegressionOptions['unaryOperators']>,
    ...(workers === 0
      ? { maxEvals: Math.round(budget * EVALUATIONS_PER_SECOND), timeoutSeconds: 20 * budget + 60 }
      : { workers, timeoutSeconds: budget }),
    ...(settings.binaryOperators.includes('^') ? { constraints: { '^': [-1, 1] as [number, number] } } : {}),
    ...(signal === undefined ? {} : { signal }),
    onProgress: (p) => onFront?.(p.hallOfFame, Math.min(1, p.elapsedSeconds / budget)),
  });
  // Every candidate (the search's front and the sparse fits) judged by what it adds to the known
  // terms: terms proportional to a known term are left to the physics, the rest refit with free
  // multiples of the known terms, and the loss is what remains.
  const known = o.knownTerms ?? [];
  const knownValues = known.map((k) => k.evaluate(X));
  const lossOf = (e: Expression) => effectiveLoss(e, X, y, knownValues);
  const candidates: HallOfFameEntry[] = [];
  const dropped = new Map<Expression, string[]>();
  const judge = (entry: HallOfFameEntry): HallOfFameEntry => {
    let e = simplify(entry.expr);
    if (known.length > 0) {
      let a = absorbKnownTerms(e, known, X, y, Number.POSITIVE_INFINITY);
      // A polynomial in factored form (`(0.48 - 0.1*c)*c*(c + 1.82)`) hides a known term (`0.87*c`
      // beside `-gamma*c`) inside its product: expanded, the term is seen and left to the physics.
      const expanded = a.dropped.length === 0 ? expandPolynomial(e) : undefined;
      if (expanded !== undefined && expanded.toString() !== e.toString()) {
        const b = absorbKnownTerms(expanded, known, X, y, Number.POSITIVE_INFINITY);
        if (b.dropped.length > 0) a = b;
      }
      if (a.dropped.length > 0) dropped.set(a.expr, a.dropped);
      e = a.expr;
    }
    return { complexity: e.complexity, loss: lossOf(e), score: 0, expr: e };
  };
  for (const entry of [...result.hallOfFame, ...sparseCandidates(X, y, networkStd)]) candidates.push(judge(entry));
  // The few best polynomial subsets of each size (1–3 terms), on the states where the network was
  // trained (`along`, e.g. the data's trajectories; else the search's samples): along one
  // trajectory the monomials are nearly collinear, so the true term is often not the best fit to
  // the network there, only one of the best few; the data decide among them in the refit.
  const subsetsOn = (S: { X: Readonly<Record<string, Float64Array>>; y: Float64Array }, keep: number[]) => {
    const kv = known.map((k) => k.evaluate(S.X));
    const bound = (SUBSET_TOLERANCE * Math.sqrt(effectiveLoss(new Expr(constant(0)), S.X, S.y, kv))) ** 2;
    return bestSubsets({ X: S.X, y: S.y, keep, always: kv, exclude: known.map((k) => k.toString()) })
      .map((e) => ({ ...e, loss: effectiveLoss(e.expr, S.X, S.y, kv) }))
      .filter((e) => e.loss <= bound);
  };
  const subsets = subsetsOn(o.along ?? { X, y }, [2, 1, 1]);
  // Rational shapes `m/(p + q*d)` (saturating responses: Holling II/III, Beddington–DeAngelis),
  // by linearised least squares on the same states: the best of each shape, best first.
  const rationals = (() => {
    const S = o.along ?? { X, y };
    const kv = known.map((k) => k.evaluate(S.X));
    const bound = (SUBSET_TOLERANCE * Math.sqrt(effectiveLoss(new Expr(constant(0)), S.X, S.y, kv))) ** 2;
    const seen = new Set<string>();
    return rationalSubsets({ X: S.X, y: S.y, always: kv, keep: 1 })
      .map((e) => ({ ...e, loss: effectiveLoss(e.expr, S.X, S.y, kv) }))
      .filter((e) => e.loss <= bound)
      .filter((e) => {
        const shape = formOf(e.expr);
        if (seen.has(shape)) return false;
        seen.add(shape);
        return true;
      });
  })();
  const front = mergeFronts(candidates, []);
  const minLoss = Math.min(...front.map((e) => e.loss));
  // The scale: the RMS of what the known terms cannot explain (a network that learned a share of
  // `gamma*c` is not held to a looser tolerance for it).
  const unexplainedRms = Math.sqrt(lossOf(new Expr(constant(0))));
  const tol = Math.max(2 * minLoss, (settings.selectionTolerance * unexplainedRms) ** 2);
  const chosen = front.find((e) => e.loss <= tol) ?? (front[front.length - 1] as HallOfFameEntry);
  const searched = chosen.expr;
  let expr = prune(searched, X, y, tol, lossOf);
  const relErr = Math.sqrt(lossOf(expr)) / Math.max(networkRms, 1e-300);
  // Digits the fit supports: one more than the error's order, between 2 and 4.
  const digits = Math.min(4, Math.max(2, Math.ceil(-Math.log10(Math.max(relErr, 1e-6))) + 1));
  let rounded = roundSignificant(expr, digits, networkRms);
  if (lossOf(rounded) > Math.max(tol, 1.2 * lossOf(expr))) rounded = roundSignificant(expr, 4, networkRms);
  expr = rounded;
  // Against the network, with the known terms' share fitted back in.
  const errorRms = Math.sqrt(lossOf(expr));
  const alternatives = [expandedWithSameConstants(expr)];
  // One candidate per form: `0.45*c*r` and `0.4498*c*r` refit to the same thing on the data; a
  // polynomial in factored form (`-0.0983*c*c*(c - 2.99)`) is the same form as its expansion with
  // as many constants (`0.294*c^2 - 0.0983*c^3`), which is the one a reader wants to see (every
  // entry is expanded so on the way in).
  const add = (r: Expression) => {
    const e = expandedWithSameConstants(r);
    if (!alternatives.some((a) => formOf(a) === formOf(e))) alternatives.push(e);
  };
  const near = front
    .filter((e) => e !== chosen && e.loss <= 10 * tol)
    .sort((a, b) => Math.abs(a.complexity - chosen.complexity) - Math.abs(b.complexity - chosen.complexity));
  for (const e of near) {
    if (alternatives.length >= Math.min(4, settings.candidates)) break;
    add(roundSignificant(prune(e.expr, X, y, Math.max(tol, 1.01 * e.loss), lossOf), 4, networkRms));
  }
  // The best rational shapes (up to 3), then the best polynomial subsets that follow the network
  // within SUBSET_TOLERANCE of its RMS (a network trained on one noisy arc is often 10–20 % off the
  // truth even there).
  const beforeRationals = alternatives.length;
  for (const e of rationals) {
    if (alternatives.length >= Math.min(settings.candidates, beforeRationals + RATIONAL_CANDIDATES)) break;
    add(roundSignificant(simplify(e.expr), 4, networkRms));
  }
  for (const e of subsets) {
    if (alternatives.length >= settings.candidates) break;
    add(roundSignificant(simplify(e.expr), 4, networkRms));
  }
  // And every one-term candidate, each monomial of the inputs up to degree 2 with its constant
  // fitted (known terms free), however it follows the network: along one orbit a network can
  // follow the data as well as the truth and still be another function of the states (the
  // predator's gain `0.196*c*r` learned as a sum of seven terms that took a share of `gamma*c`),
  // so the simplest terms are judged on the data whatever the network says of them.
  for (const e of oneTermCandidates(o.along ?? { X, y }, known)) add(roundSignificant(simplify(e), 4, networkRms));
  alternatives.sort((a, b) => a.complexity - b.complexity);
  const left = dropped.get(searched) ?? [];
  return {
    expr,
    searched,
    alternatives,
    front,
    networkRms,
    errorRms,
    iterations: result.iterations,
    evaluations: result.evaluations,
    stopReason: result.stopReason,
    message: `chose complexity ${expr.complexity} of ${front.length} on the front (the simplest within RMS ${Math.sqrt(tol).toPrecision(2)} of the network, known terms free)${left.length ? `; left ${left.join(', ')} to the known terms' parameters` : ''}; ${result.evaluations} evaluations, stopped by ${result.stopReason}.`,
  };
}

/** Each monomial of the inputs up to degree 2 alone, its constant fitted to `S.y` with the known terms free (those not already known). */
export function oneTermCandidates(
  S: { readonly X: Readonly<Record<string, Float64Array>>; readonly y: Float64Array },
  known: readonly Expression[],
): Expression[] {
  return bestSubsets({
    X: S.X,
    y: S.y,
    degree: 2,
    maxTerms: 1,
    keep: Number.POSITIVE_INFINITY,
    always: known.map((k) => k.evaluate(S.X)),
    exclude: known.map((k) => k.toString()),
  })
    .map((e) => e.expr)
    .filter((e) => e.variables.length > 0);
}

/** `e` expanded when it is a polynomial whose expansion has no more free constants; else `e`. */
export function expandedWithSameConstants(e: Expression): Expression {
  const x = expandPolynomial(e);
  return x !== undefined && freeCount(x) <= freeCount(e) ? x : e;
}

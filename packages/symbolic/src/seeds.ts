import { portablePow, type Rng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import { Expression } from './expression.js';
import { polynomialLibrary } from './library.js';
import { leastSquares } from './linalg.js';
import { binary, constant, type ExprNode, unary, variable } from './node.js';
import type { Objective } from './objective.js';
import type { OpName } from './operators.js';
import {
  degreeOf,
  divide,
  gramOf,
  monomialColumn,
  monomials,
  polyTree,
  power,
  residual,
  stlsq,
} from './seed-polynomials.js';
import { simplify } from './simplify.js';
import { sparseRegression } from './sparse-regression.js';
import { satisfiesRules, type TreeRules } from './tree-rules.js';

/** Rows the seeds are fitted on (spread over the data). */
const SEED_ROWS = 1000;
/** Rows the power seeds are fitted on (see `makeSeeds`). */
const POWER_ROWS = 10000;

/** A seed tree with its full-data loss. */
export interface Seed {
  readonly tree: ExprNode;
  readonly loss: number;
}

/** Whether every operator of `n` is in `ops`. */
function usesOnly(n: ExprNode, ops: ReadonlySet<OpName>): boolean {
  switch (n.kind) {
    case 'const':
    case 'var':
      return true;
    case 'unary':
      return ops.has(n.op) && usesOnly(n.arg, ops);
    case 'binary':
      return ops.has(n.op) && usesOnly(n.left, ops) && usesOnly(n.right, ops);
    default:
      return false;
  }
}

/** Per constant (pre-order): whether it is the exponent of a `^`. */
function exponentMask(n: ExprNode, out: boolean[] = [], isExponent = false): boolean[] {
  switch (n.kind) {
    case 'const':
      out.push(isExponent);
      break;
    case 'unary':
      exponentMask(n.arg, out);
      break;
    case 'binary':
      exponentMask(n.left, out);
      exponentMask(n.right, out, n.op === '^');
      break;
    default:
      break;
  }
  return out;
}

/** Rewrites integer powers `v^p` of a polynomial to products when `^` is not allowed. */
function powersToProducts(n: ExprNode, ops: ReadonlySet<OpName>): ExprNode {
  switch (n.kind) {
    case 'unary':
      return unary(n.op, powersToProducts(n.arg, ops));
    case 'binary':
      if (n.op === '^' && !ops.has('^') && n.right.kind === 'const' && Number.isInteger(n.right.value)) {
        return power(powersToProducts(n.left, ops), n.right.value, ops);
      }
      return binary(n.op, powersToProducts(n.left, ops), powersToProducts(n.right, ops));
    default:
      return n;
  }
}

/**
 * Sparse polynomial fits (STLSQ over the monomials up to degree 3, or 2 beyond 4 inputs) at a
 * ladder of thresholds relative to the spread of y: the polynomial terms of a model (logistic,
 * Lotka–Volterra, FitzHugh–Nagumo's cubic, Duffing, mass action) in one step, which the
 * evolution otherwise reaches only through many lucky mutations.
 */
function polynomialSeeds(X: Record<string, Float64Array>, y: Float64Array, names: readonly string[]): ExprNode[] {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length) || 1;
  const library = polynomialLibrary({ degree: names.length <= 4 ? 3 : 2 });
  const out: ExprNode[] = [];
  for (const rel of [1e-3, 1e-2, 5e-2, 0.2]) {
    try {
      out.push(sparseRegression({ X, y, library, threshold: rel * sd }).root);
    } catch {
      // a library term not finite on the data: no polynomial seeds
      return out;
    }
  }
  return out;
}

/**
 * Rational seeds P(x)/Q(x) by linearised rational regression: with Q = q₀ + Σ q_k m_k normalised
 * by one of its terms (1 or an input v), y·q₀ = P − y·Σ q_k m_k is linear in the coefficients of P
 * and Q (Levy 1959's linearisation; as in SINDy-PI's implicit library, Kaheman, Kutz & Brunton
 * 2020, doi:10.1098/rspa.2020.0279), solved sparse by STLSQ at a ladder of thresholds and for
 * increasing degrees of P (≤ 3, ≤ 2 beyond 3 inputs) and Q (≤ 3 with 1 or 2 inputs, plus v⁴,
 * else ≤ 2) — the lowest degrees first, as a common factor of P and Q makes higher-degree fits
 * non-unique. This reaches the saturating forms of real models (Holling II/III,
 * Beddington–DeAngelis, Crowley–Martin, ratio dependence, Michaelis–Menten with inhibition, Hill
 * functions, saturated incidence) whose denominators the evolution otherwise assembles term by
 * term. The seeds' constants are then refit by Levenberg–Marquardt on the loss itself (the
 * linearisation is biased by noise).
 */
function rationalSeeds(
  X: Record<string, Float64Array>,
  y: Float64Array,
  names: readonly string[],
  ops: ReadonlySet<OpName>,
): ExprNode[] {
  const d = names.length;
  if (d === 0 || d > 4 || !ops.has('/') || !ops.has('*') || !ops.has('+')) return [];
  const n = y.length;
  const cols = names.map((k) => X[k] as Float64Array);
  const pMax = d <= 3 ? 3 : 2;
  const qMax = d <= 2 ? 3 : 2;
  const pTerms = [new Array<number>(d).fill(0), ...monomials(d, pMax)];
  const qTerms = monomials(d, qMax);
  if (d <= 2) for (let i = 0; i < d; i++) qTerms.push(Array.from({ length: d }, (_, j) => (j === i ? 4 : 0)));
  const pCols = pTerms.map((p) => monomialColumn(p, cols, n));
  const qCols = qTerms.map((p) => monomialColumn(p, cols, n).map((v, i) => -v * (y[i] as number)));
  const out: ExprNode[] = [];
  const norms: (number[] | undefined)[] = [
    undefined,
    ...names.map((_, i) => Array.from({ length: d }, (_, j) => (j === i ? 1 : 0))),
  ];
  const degreePairs: [number, number][] = [];
  for (let total = 2; total <= pMax + 4; total++)
    for (let qd = 1; qd <= Math.min(4, total - 1); qd++) if (total - qd <= pMax) degreePairs.push([total - qd, qd]);
  for (const norm of norms) {
    const key = norm?.join();
    const qIdx = qTerms.map((_, k) => k).filter((k) => qTerms[k]?.join() !== key);
    const v = norm === undefined ? undefined : (cols[norm.indexOf(1)] as Float64Array);
    const target = v === undefined ? y : y.map((yi, i) => yi * (v[i] as number));
    const g = gramOf([...pCols, ...qIdx.map((k) => qCols[k] as Float64Array)], target);
    // every support found, then per normalisation the Pareto front of (terms, linearised residual)
    const found = new Map<string, { coef: Float64Array; res: number; nnz: number }>();
    for (const [pd, qd] of degreePairs) {
      const allowed = [
        ...pTerms.map((p, j) => (degreeOf(p) <= pd ? j : -1)),
        ...qIdx.map((k, j) => (degreeOf(qTerms[k] as number[]) <= qd ? pCols.length + j : -1)),
      ].filter((j) => j >= 0);
      for (const tau of [1e-3, 1e-2, 3e-2, 0.1]) {
        const coef = stlsq(g, allowed, tau, n);
        if (coef === undefined || !coef.every(Number.isFinite)) continue;
        if (norm === undefined && !coef.some((c, j) => j >= pCols.length && c !== 0)) continue;
        const sig = Array.from(coef, (c) => (c === 0 ? 0 : 1)).join('');
        if (found.has(sig)) continue;
        found.set(sig, { coef, res: residual(g, coef, target), nnz: coef.filter((c) => c !== 0).length });
      }
    }
    let bestRes = Number.POSITIVE_INFINITY;
    const front = [...found.values()]
      .sort((a, b) => a.nnz - b.nnz || a.res - b.res)
      .filter((c) => {
        if (!(c.res < 0.98 * bestRes)) return false;
        bestRes = c.res;
        return true;
      });
    for (const { coef } of front.slice(0, 8)) {
      const P = new Map<string, number>();
      pTerms.forEach((p, j) => {
        const c = coef[j] as number;
        if (c !== 0) P.set(p.join(), c);
      });
      if (P.size === 0) continue;
      const Q = new Map<string, number>([[(norm ?? new Array<number>(d).fill(0)).join(), 1]]);
      qIdx.forEach((k, j) => {
        const c = coef[pCols.length + j] as number;
        if (c !== 0) Q.set((qTerms[k] as number[]).join(), c);
      });
      out.push(binary('/', polyTree(P, names, ops) ?? constant(0), polyTree(Q, names, ops) ?? constant(1)));
      const divided = divide(P, Q, d);
      if (divided !== undefined) {
        const quotient = polyTree(divided.quotient, names, ops);
        const rest = polyTree(divided.remainder, names, ops);
        const ratio = rest === undefined ? undefined : binary('/', rest, polyTree(Q, names, ops) ?? constant(1));
        const tree = quotient === undefined ? ratio : ratio === undefined ? quotient : binary('+', quotient, ratio);
        if (tree !== undefined) out.push(tree);
      }
    }
  }
  return out;
}

/**
 * Saturating, rational, power and exponential units of one input, alone, scaled, and times a
 * second input: `c·v/(c + v)`, `c·v²/(c + v²)`, `c/(c + v)`, `c/(c + v²)`, `c·v^c`,
 * `c·v^c + c·v + c·v²`, `c·exp(c·v)`, `c·v·log(c·v)` (Gompertz), `c·sin(c·v)`,
 * `c·v·u/(c + v)`, `c·v·exp(c·v)` — the building blocks of Holling, Monod, Michaelis–Menten, Hill,
 * Ivlev and Ricker terms (each kept only when its operators are allowed).
 */
function unitSeeds(names: readonly string[], ops: ReadonlySet<OpName>): ExprNode[] {
  const c = (v: number) => constant(v);
  const out: ExprNode[] = [];
  for (const name of names) {
    const v = variable(name);
    const v2 = power(v, 2, ops);
    const sat = binary('/', binary('*', c(1), v), binary('+', c(1), v));
    out.push(sat);
    out.push(binary('/', binary('*', c(1), v2), binary('+', c(1), v2)));
    out.push(binary('/', c(1), binary('+', c(1), v)));
    out.push(binary('/', c(1), binary('+', c(1), v2)));
    out.push(binary('*', c(1), binary('^', v, c(1.5))));
    // a power law beside a quadratic (allometric terms, fractional-order kinetics)
    out.push(
      binary(
        '+',
        binary('+', binary('*', c(1), binary('^', v, c(0.5))), binary('*', c(1), v)),
        binary('*', c(1), binary('*', v, v)),
      ),
    );
    out.push(binary('*', c(1), unary('exp', binary('*', c(-0.5), v))));
    out.push(binary('*', binary('*', c(1), v), unary('log', binary('*', c(0.5), v))));
    out.push(binary('*', c(1), unary('sin', binary('*', c(1), v))));
    out.push(binary('*', binary('*', c(1), v), unary('exp', binary('*', c(-0.5), v))));
    for (const other of names) {
      if (other === name) continue;
      out.push(binary('*', sat, variable(other)));
    }
  }
  return out;
}

/**
 * Power-law-beside-a-quadratic seeds `a·v^p + b·v + c·v²` (and `+ d`) for each positive input v,
 * by variable projection: for fixed p the coefficients are linear least squares, so p is scanned
 * over [−2, 3] in steps of 0.05 (skipping 0, 1 and 2, where the columns coincide) and the best
 * kept (Golub & Pereyra 1973, doi:10.1137/0710036). A local fit from one start falls into the
 * degenerate valley p → 1, a·v^p − b·v ≈ v·log v with large a ≈ b, as often as it finds the
 * allometric term of a model (the talk's `y^0.9 - y + 0.5*y^2`, fractional-order kinetics).
 * At 1 % noise the valley is flat to a fraction of the noise (p from 0.6 to 1 fit alike), so the
 * scan also keeps, for 1 and 2 significant digits, the p whose coefficients rounded to those digits
 * fit best (`simple`: seeds not refit, so `1·v^0.9 − 1·v + 0.5·v²` stays `v^0.9 − v + 0.5·v²`):
 * models written by people have simple coefficients, and only at the right p do rounded
 * coefficients still fit.
 */
function powerSeeds(
  X: Record<string, Float64Array>,
  y: Float64Array,
  names: readonly string[],
  ops: ReadonlySet<OpName>,
): { tree: ExprNode; simple: boolean }[] {
  const out: { tree: ExprNode; simple: boolean }[] = [];
  if (!ops.has('^') || !ops.has('+') || !ops.has('*')) return out;
  const n = y.length;
  for (const name of names) {
    const v = X[name] as Float64Array;
    if (!(v.length === n && v.every((e) => e > 0 && Number.isFinite(e)))) continue;
    const v2 = v.map((e) => e * e);
    const ones = new Float64Array(n).fill(1);
    const rssOf = (cols: readonly Float64Array[], coef: ArrayLike<number>): number => {
      let rss = 0;
      for (let r = 0; r < n; r++) {
        let f = 0;
        for (let c = 0; c < cols.length; c++) f += (coef[c] as number) * ((cols[c] as Float64Array)[r] as number);
        const d = f - (y[r] as number);
        rss += d * d;
      }
      return rss;
    };
    const vn = variable(name);
    const treeOf = (p: number, coef: ArrayLike<number>, intercept: boolean): ExprNode => {
      const [a, b, c, d] = [coef[0], coef[1], coef[2], coef[3]];
      const t: ExprNode = binary(
        '+',
        binary(
          '+',
          binary('*', constant(a as number), binary('^', vn, constant(p))),
          binary('*', constant(b as number), vn),
        ),
        binary('*', constant(c as number), binary('*', vn, vn)),
      );
      return intercept ? binary('+', t, constant(d as number)) : t;
    };
    for (const intercept of [false, true]) {
      type Fit = { p: number; coef: ArrayLike<number>; rss: number };
      let best: Fit | undefined;
      const simple: (Fit | undefined)[] = [undefined, undefined];
      for (let i = -40; i <= 60; i++) {
        if (i % 20 === 0) continue;
        const p = i / 20;
        const vp = v.map((e) => portablePow(e, p));
        const cols = intercept ? [vp, v, v2, ones] : [vp, v, v2];
        const coef = leastSquares(cols, y, undefined, 0);
        const rss = rssOf(cols, coef);
        if (Number.isFinite(rss) && (best === undefined || rss < best.rss)) best = { p, coef, rss };
        if (intercept) continue;
        for (const digits of [1, 2]) {
          // toPrecision rounds exactly (the same in every engine)
          const rounded = Array.from(coef, (c) => Number(c.toPrecision(digits)));
          const r = rssOf(cols, rounded);
          const cur = simple[digits - 1];
          if (Number.isFinite(r) && (cur === undefined || r < cur.rss))
            simple[digits - 1] = { p, coef: rounded, rss: r };
        }
      }
      if (best === undefined) continue;
      out.push({ tree: treeOf(best.p, best.coef, intercept), simple: false });
      for (const s of simple) if (s !== undefined) out.push({ tree: treeOf(s.p, s.coef, false), simple: true });
    }
  }
  return out;
}

/**
 * y at the rows of `X` (a subsample of the data) averaged with its 8 nearest neighbours among all
 * rows (inputs scaled to unit spread): a k-nearest-neighbour denoising of the target (PySR denoises
 * with a Gaussian process before its search) that cuts the noise by 3× at a bias of the order of
 * the neighbours' spacing squared. Brute force, O(rows·N).
 */
function smoothedTarget(objective: Objective, X: Record<string, Float64Array>, names: readonly string[]): Float64Array {
  const full = objective.full;
  const N = full.n;
  const m = (X[names[0] as string] as Float64Array | undefined)?.length ?? 0;
  const K = Math.min(9, N);
  const fullCols = names.map((k) => full.evaluator.columns[k] as Float64Array);
  const inv = fullCols.map((c) => {
    let mean = 0;
    for (let i = 0; i < N; i++) mean += c[i] as number;
    mean /= N;
    let v = 0;
    for (let i = 0; i < N; i++) v += ((c[i] as number) - mean) ** 2;
    return 1 / (Math.sqrt(v / N) || 1);
  });
  const subCols = names.map((k) => X[k] as Float64Array);
  const out = new Float64Array(m);
  const bestD = new Float64Array(K);
  const bestJ = new Int32Array(K);
  for (let i = 0; i < m; i++) {
    bestD.fill(Number.POSITIVE_INFINITY);
    bestJ.fill(0);
    for (let j = 0; j < N; j++) {
      let d = 0;
      for (let c = 0; c < fullCols.length; c++) {
        const t = ((subCols[c] as Float64Array)[i] as number) - ((fullCols[c] as Float64Array)[j] as number);
        d += t * t * (inv[c] as number) ** 2;
      }
      if (d >= (bestD[K - 1] as number)) continue;
      let p = K - 1;
      while (p > 0 && (bestD[p - 1] as number) > d) {
        bestD[p] = bestD[p - 1] as number;
        bestJ[p] = bestJ[p - 1] as number;
        p--;
      }
      bestD[p] = d;
      bestJ[p] = j;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += full.y[bestJ[k] as number] as number;
    out[i] = sum / K;
  }
  return out;
}

/**
 * Seeds for the initial populations: sparse polynomial fits and one-input saturating, rational,
 * power and exponential units (see {@link unitSeeds}), their constants fitted by
 * Levenberg–Marquardt on at most 1,000 rows, simplified, kept when allowed by the rules and finite,
 * best first (distinct trees only). Low-complexity and polynomial seeding in the spirit of the
 * initial-population strategies of genetic programming (e.g. seeding with linear-regression
 * models, Schmidt & Lipson 2009 use a similar warm start); not in SymbolicRegression.jl.
 */
export function makeSeeds(
  objective: Objective,
  rules: TreeRules,
  maxSize: number,
  rng: Rng,
  { simpleCoefficients = true }: { simpleCoefficients?: boolean } = {},
): Seed[] {
  const ops = new Set<OpName>([...rules.binary, ...rules.unary]);
  const view = objective.subsample(SEED_ROWS);
  const names = rules.variables;
  const X = view.evaluator.columns as Record<string, Float64Array>;
  const trees: ExprNode[] = [];
  if (ops.has('+') && ops.has('*')) {
    for (const p of polynomialSeeds(X, view.y, names)) trees.push(powersToProducts(p, ops));
  }
  // the coefficients of the rational fits are refit, their integer exponents held; the linearised
  // fits run on y and on y smoothed over its nearest neighbours (noise in y·Q biases them)
  const smooth = smoothedTarget(objective, X, names);
  const rational = [...rationalSeeds(X, view.y, names, ops), ...rationalSeeds(X, smooth, names, ops)];
  for (const r of rational) {
    const frozen = exponentMask(r);
    trees.push(
      optimizeConstants(r, view, objective, rng, { algorithm: 'LM', iterations: 15, restarts: 0, frozen }).tree,
    );
  }
  // on up to 10,000 rows: along the valley a·v^p − b·v the loss is so flat that the noise of 1,000
  // rows moves the fit far from the right constants (1.6 % of σ² above them at 1 % noise)
  const wide = objective.subsample(POWER_ROWS);
  const wideX = wide.evaluator.columns as Record<string, Float64Array>;
  for (const { tree, simple } of powerSeeds(wideX, wide.y, names, ops)) {
    if (simple && !simpleCoefficients) continue;
    trees.push(
      simple
        ? tree
        : optimizeConstants(tree, wide, objective, rng, { algorithm: 'LM', iterations: 30, restarts: 0 }).tree,
    );
  }
  for (const u of unitSeeds(names, ops)) {
    if (!usesOnly(u, ops)) continue;
    const fit = optimizeConstants(u, view, objective, rng, { algorithm: 'LM', iterations: 20, restarts: 1 });
    trees.push(fit.tree);
  }
  const seen = new Set<string>();
  const out: Seed[] = [];
  for (const t of trees) {
    const s = simplify(t, { operators: ops });
    if (!usesOnly(s, ops) || !satisfiesRules(s, rules, maxSize)) continue;
    const key = new Expression(s).toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const loss = objective.loss(s, false);
    if (Number.isFinite(loss)) out.push({ tree: s, loss });
  }
  return out.sort((a, b) => a.loss - b.loss);
}

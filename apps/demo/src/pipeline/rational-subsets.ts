import {
  binary,
  constant,
  Expression,
  type ExprNode,
  type HallOfFameEntry,
  polynomialLibrary,
  simplify,
} from '@odekit/symbolic';
import { solveSmall } from './best-subset.js';
import { effectiveLoss } from './known-terms.js';

/** Options of {@link rationalSubsets}. */
export interface RationalSubsetOptions {
  /** Inputs by variable name and the target, `[N]` each. */
  readonly X: Readonly<Record<string, Float64Array>>;
  readonly y: Float64Array;
  /** Largest total degree of a numerator monomial (default 3 for up to two variables, else 2). */
  readonly numeratorDegree?: number;
  /** Largest total degree of a denominator monomial (default 2). */
  readonly denominatorDegree?: number;
  /**
   * Columns always in the fit but not in the expression (`[N]` each): the known terms of the
   * network's equation, added outside the fraction with free multiples.
   */
  readonly always?: readonly Float64Array[];
  /** How many of the best to keep per shape (numerator terms × denominator terms; default 2). */
  readonly keep?: number;
  /** Smallest value the denominator may take on the samples, relative to its constant term (default 0.1). */
  readonly minDenominator?: number;
}

/**
 * Rational candidates `(m₁ + a₂·m₂)/(p + q₁·d₁ [+ q₂·d₂])` for a network's output, the shapes of
 * saturating responses (Holling II `a·r·c/(1 + h·r)`, Holling III, Beddington–DeAngelis
 * `a·r·c/(1 + h·r + m·c)`, Michaelis–Menten `a·x/(1 + b·x)`), found by linearised least
 * squares: `y·(1 + Σ b_j d_j) = Σ a_i m_i` is linear in a and b, so `y = Σ a_i m_i − Σ b_j (d_j·y)`
 * is one small least-squares fit per choice of monomials (Levy 1959's linearisation of rational
 * fitting; the bias it has under noise does not matter here, as every candidate is refit on the
 * data after). Numerators of 1 or 2 monomials up to `numeratorDegree`, denominators of 1 or 2
 * non-constant monomials up to `denominatorDegree`; kept when the denominator stays away from zero
 * on every sample. Each is written with the first numerator monomial's coefficient 1 (two
 * constants for `m/(p + q·d)`, the count of `a·m/(1 + b·d)`), and scored by its actual mean squared
 * error (the fraction evaluated, known terms' multiples refit by least squares).
 *
 * @example
 * ```ts
 * import { rationalSubsets } from './rational-subsets.js';
 * const r = Float64Array.from({ length: 200 }, (_, i) => 0.2 + (i % 20) / 5);
 * const c = Float64Array.from({ length: 200 }, (_, i) => 0.3 + Math.floor(i / 20) / 4);
 * const y = Float64Array.from(r, (v, i) => (v * (c[i] as number)) / (1 + 0.5 * v));
 * const [best] = rationalSubsets({ X: { r, c }, y });
 * if (best === undefined || best.loss > 1e-20) throw new Error(String(best?.expr));
 * ```
 */
export function rationalSubsets(o: RationalSubsetOptions): HallOfFameEntry[] {
  const { X, y } = o;
  const names = Object.keys(X).sort();
  const n = y.length;
  const numDeg = o.numeratorDegree ?? (names.length <= 2 ? 3 : 2);
  const denDeg = o.denominatorDegree ?? 2;
  const keep = o.keep ?? 2;
  const minDen = o.minDenominator ?? 0.1;
  const always = o.always ?? [];
  const nonConstant = (t: Expression) => t.toString() !== '1';
  const numTerms = polynomialLibrary({ degree: numDeg }).terms(names).filter(nonConstant);
  const denTerms = polynomialLibrary({ degree: denDeg }).terms(names).filter(nonConstant);
  const numCols = numTerms.map((t) => t.evaluate(X));
  const denCols = denTerms.map((t) => t.evaluate(X));
  if (![...numCols, ...denCols].every((col) => col.every(Number.isFinite)) || !y.every(Number.isFinite)) return [];
  const dyCols = denCols.map((d) => Float64Array.from(d, (v, i) => -v * (y[i] as number)));
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i] as number) * (b[i] as number);
    return s;
  };
  const pairs = (k: number) => {
    const out: number[][] = [];
    for (let i = 0; i < k; i++) out.push([i]);
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) out.push([i, j]);
    return out;
  };
  // One Gram matrix of every column a fit can use: numerator monomials, −d·y per denominator
  // monomial, known terms, and known·d (the known terms sit outside the fraction: y·Q = P + K·Q).
  const kd = always.map((k) => denCols.map((d) => Float64Array.from(k, (v, i) => v * (d[i] as number))));
  const all = [...numCols, ...dyCols, ...always, ...kd.flat()];
  const G = all.map((a) => all.map((b) => dot(a, b)));
  const g = all.map((a) => dot(a, y));
  const yy = dot(y, y);
  const dyAt = (j: number) => numCols.length + j;
  const knownAt = (k: number) => numCols.length + dyCols.length + k;
  const kdAt = (k: number, j: number) => numCols.length + dyCols.length + always.length + k * denCols.length + j;
  const byShape = new Map<string, { sse: number; num: number[]; den: number[]; coef: number[] }[]>();
  for (const num of pairs(numTerms.length)) {
    for (const den of pairs(denTerms.length)) {
      const idx = [
        ...num,
        ...den.map(dyAt),
        ...always.map((_, k) => knownAt(k)),
        ...always.flatMap((_, k) => den.map((j) => kdAt(k, j))),
      ];
      const A = idx.map((a) => idx.map((b) => (G[a]?.[b] as number) * (a === b ? 1 + 1e-12 : 1)));
      const coef = solveSmall(
        A,
        idx.map((i) => g[i] as number),
      );
      if (coef === undefined) continue;
      const sse = yy - coef.reduce((s, cj, i) => s + cj * (g[idx[i] as number] as number), 0);
      const shape = `${num.length}/${den.length}`;
      const list = byShape.get(shape) ?? [];
      list.push({ sse, num, den, coef });
      list.sort((p, q) => p.sse - q.sse);
      if (list.length > 3 * keep) list.pop();
      byShape.set(shape, list);
    }
  }
  // The best few linearised fits of each shape, scored by their actual error.
  const out: HallOfFameEntry[] = [];
  for (const list of byShape.values()) {
    const scored: HallOfFameEntry[] = [];
    for (const { num, den, coef } of list) {
      const b = den.map((_, j) => coef[num.length + j] as number);
      // Denominator Q = 1 + Σ b d away from zero on every sample.
      const Q = new Float64Array(n).fill(1);
      den.forEach((j, k) => {
        const d = denCols[j] as Float64Array;
        for (let i = 0; i < n; i++) Q[i] = (Q[i] as number) + (b[k] as number) * (d[i] as number);
      });
      if (!(Q.reduce((m, q) => Math.min(m, q), Number.POSITIVE_INFINITY) >= minDen)) continue;
      // With the denominator fixed, the numerator (and the known terms' multiples) by least squares on
      // y itself: the linearisation tells the denominator well, but a numerator monomial and a known
      // term times a denominator monomial (r·c against r·c) share a column there.
      const cols = [
        ...num.map((i) => Float64Array.from(numCols[i] as Float64Array, (v, k) => v / (Q[k] as number))),
        ...always,
      ];
      const a = solveSmall(
        cols.map((u, iu) => cols.map((v, iv) => dot(u, v) * (iu === iv ? 1 + 1e-12 : 1))),
        cols.map((u) => dot(u, y)),
      );
      if (a === undefined) continue;
      const a0 = a[0] as number;
      if (!(Math.abs(a0) > 1e-12)) continue;
      // (m₁ + (a₂/a₁)·m₂)/(1/a₁ + (b₁/a₁)·d₁ + …): the first numerator coefficient is 1.
      let top: ExprNode = (numTerms[num[0] as number] as Expression).root;
      if (num.length > 1)
        top = binary(
          '+',
          top,
          binary('*', constant((a[1] as number) / a0), (numTerms[num[1] as number] as Expression).root),
        );
      let bottom: ExprNode = constant(1 / a0);
      den.forEach((j, k) => {
        bottom = binary('+', bottom, binary('*', constant((b[k] as number) / a0), (denTerms[j] as Expression).root));
      });
      const expr = simplify(new Expression(binary('/', top, bottom)));
      const loss = effectiveLoss(expr, X, y, always);
      if (Number.isFinite(loss)) scored.push({ complexity: expr.complexity, loss, score: 0, expr });
    }
    out.push(...scored.sort((p, q) => p.loss - q.loss).slice(0, keep));
  }
  return distinctFunctions(
    out.sort((p, q) => p.loss - q.loss),
    X,
  );
}

/**
 * The entries that are different functions on the samples (relative RMS difference over 1e-6), each
 * function once, as its smallest tree: `(2.4e8*c*r + c^2)/(…)` is `c*r/(…)` written badly.
 * Keeps the order of `entries` by their first appearance.
 *
 * @example
 * ```ts
 * import { parseExpression } from '@odekit/symbolic';
 * import { distinctFunctions } from './rational-subsets.js';
 * const X = { x: Float64Array.of(1, 2, 3) };
 * const e = (t: string) => ({ complexity: parseExpression(t).complexity, loss: 0, score: 0, expr: parseExpression(t) });
 * const out = distinctFunctions([e('(x + 1e-12*x^2)/(x + 1)'), e('x/(x + 1)'), e('x')], X);
 * if (out.length !== 2 || out[0]?.expr.toString() !== 'x/(x + 1)') throw new Error('bad');
 * ```
 */
export function distinctFunctions<E extends { readonly expr: Expression; readonly complexity: number }>(
  entries: readonly E[],
  X: Readonly<Record<string, Float64Array>>,
): E[] {
  const kept: { entry: E; values: Float64Array }[] = [];
  for (const entry of entries) {
    const values = entry.expr.evaluate(X);
    const same = kept.find((k) => {
      let d = 0;
      let s = 0;
      for (let i = 0; i < values.length; i++) {
        d += ((values[i] as number) - (k.values[i] as number)) ** 2;
        s += (k.values[i] as number) ** 2;
      }
      return d <= 1e-12 * s;
    });
    if (same === undefined) kept.push({ entry, values });
    else if (entry.complexity < same.entry.complexity) same.entry = entry;
  }
  return kept.map((k) => k.entry);
}

import {
  binary,
  constant,
  Expression,
  type HallOfFameEntry,
  parseExpression,
  polynomialLibrary,
  simplify,
} from '@odekit/symbolic';

/** Options of {@link bestSubsets}. */
export interface BestSubsetOptions {
  /** Inputs by variable name and the target, `[N]` each. */
  readonly X: Readonly<Record<string, Float64Array>>;
  readonly y: Float64Array;
  /** Largest total degree of the monomials (default 3 for up to two variables, else 2). */
  readonly degree?: number;
  /** Largest number of terms (default 3). */
  readonly maxTerms?: number;
  /**
   * Columns always in the fit but not in the expression (`[N]` each): the known terms of the
   * network's equation, whose share belongs to their parameters. Library monomials listed in
   * `exclude` (printed as `simplify` prints them, e.g. `c*r`) are left out.
   */
  readonly always?: readonly Float64Array[];
  readonly exclude?: readonly string[];
  /** How many of the best subsets to keep per number of terms: one count for all, or a count per size (default 3). */
  readonly keep?: number | readonly number[];
}

/** Solves the small symmetric system `A x = b` by Gaussian elimination with partial pivoting (undefined when singular). */
export function solveSmall(A: readonly (readonly number[])[], b: readonly number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]?.[c] as number) > Math.abs(M[p]?.[c] as number)) p = r;
    const pivot = M[p]?.[c] as number;
    if (!(Math.abs(pivot) > 1e-300)) return undefined;
    [M[c], M[p]] = [M[p] as number[], M[c] as number[]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = (M[r]?.[c] as number) / pivot;
      for (let j = c; j <= n; j++) (M[r] as number[])[j] = (M[r]?.[j] as number) - f * (M[c]?.[j] as number);
    }
  }
  const x = M.map((row, i) => (row[n] as number) / (row[i] as number));
  return x.every(Number.isFinite) ? x : undefined;
}

/** The k-element subsets of 0..n-1 in lexicographic order. */
function* subsets(n: number, k: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === k) {
    yield prefix;
    return;
  }
  for (let i = start; i < n; i++) yield* subsets(n, k, i + 1, [...prefix, i]);
}

/**
 * Best-subset polynomial regression: for each number of terms 1..`maxTerms`, every subset of the
 * monomials up to `degree` fitted to `y` by least squares, and the `keep` best (lowest mean
 * squared error) returned as expressions `c1*m1 + c2*m2 + …`. On samples along one trajectory the
 * monomials are nearly collinear, so the single best fit there is often a look-alike; the few best
 * of each size go on to be judged on the data itself (the refit). Exhaustive search is cheap here:
 * the normal equations of every subset are read from one Gram matrix.
 *
 * @example
 * ```ts
 * import { bestSubsets } from './best-subset.js';
 * const r = Float64Array.from({ length: 50 }, (_, i) => 0.2 + i / 25);
 * const c = Float64Array.from(r, (v) => 1 + Math.sin(3 * v));
 * const y = Float64Array.from(r, (v, i) => -0.9 * v * (c[i] as number));
 * const [best] = bestSubsets({ X: { r, c }, y, maxTerms: 1 });
 * if (best?.expr.toString() !== '-0.9*c*r' && best?.expr.toString() !== '-0.9*r*c') throw new Error(String(best?.expr));
 * ```
 */
export function bestSubsets(o: BestSubsetOptions): HallOfFameEntry[] {
  const { X, y } = o;
  const names = Object.keys(X).sort();
  const degree = o.degree ?? (names.length <= 2 ? 3 : 2);
  const maxTerms = o.maxTerms ?? 3;
  const keepOf = (k: number): number => {
    const keep = o.keep ?? 3;
    return typeof keep === 'number' ? keep : (keep[k - 1] ?? 0);
  };
  const always = o.always ?? [];
  const excluded = new Set((o.exclude ?? []).map((t) => simplify(parseExpression(t)).toString()));
  const terms = polynomialLibrary({ degree })
    .terms(names)
    .filter((t) => !excluded.has(simplify(t).toString()));
  const cols = [...terms.map((t) => t.evaluate(X)), ...always];
  const fixed = always.map((_, i) => terms.length + i);
  const n = y.length;
  const usable = cols.map((col) => col.every(Number.isFinite));
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i] as number) * (b[i] as number);
    return s;
  };
  const G = cols.map((a) => cols.map((b) => dot(a, b)));
  const g = cols.map((a) => dot(a, y));
  const yy = dot(y, y);
  const out: HallOfFameEntry[] = [];
  for (let k = 1; k <= Math.min(maxTerms, terms.length); k++) {
    const keep = keepOf(k);
    if (keep <= 0) continue;
    const best: { sse: number; idx: number[]; coef: number[] }[] = [];
    for (const chosen of subsets(terms.length, k)) {
      if (!chosen.every((j) => usable[j])) continue;
      const idx = [...chosen, ...fixed];
      const A = idx.map((a) => idx.map((b) => (G[a]?.[b] as number) * (a === b ? 1 + 1e-12 : 1)));
      const coef = solveSmall(
        A,
        idx.map((j) => g[j] as number),
      );
      if (coef === undefined) continue;
      // SSE = y'y − coef'g at the least-squares solution.
      const sse = Math.max(0, yy - coef.reduce((s, cj, i) => s + cj * (g[idx[i] as number] as number), 0));
      best.push({ sse, idx, coef });
      best.sort((a, b) => a.sse - b.sse);
      if (best.length > keep) best.pop();
    }
    for (const b of best) {
      let node = binary('*', constant(b.coef[0] as number), (terms[b.idx[0] as number] as Expression).root);
      for (let i = 1; i < k; i++) {
        node = binary(
          '+',
          node,
          binary('*', constant(b.coef[i] as number), (terms[b.idx[i] as number] as Expression).root),
        );
      }
      const expr = new Expression(node);
      // The loss from the residuals themselves (y'y − coef'g loses digits to cancellation), the
      // known terms' fitted share included.
      const v = expr.evaluate(X);
      let sse = 0;
      for (let i = 0; i < n; i++) {
        let known = 0;
        fixed.forEach((col, j) => {
          known += (b.coef[k + j] as number) * ((cols[col] as Float64Array)[i] as number);
        });
        sse += ((v[i] as number) + known - (y[i] as number)) ** 2;
      }
      out.push({ complexity: expr.complexity, loss: sse / n, score: 0, expr });
    }
  }
  return out;
}

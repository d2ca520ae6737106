// The polynomial algebra of the seeds (seeds.ts): monomials, their Gram matrix, STLSQ on it,
// polynomials as trees, and polynomial division; plain float64 arrays.
import { solveSpd } from './linalg.js';
import { binary, constant, type ExprNode, variable } from './node.js';
import type { OpName } from './operators.js';

/** Exponent vectors of the monomials of total degree 1..`degree` in `d` variables. */
export function monomials(d: number, degree: number): number[][] {
  const out: number[][] = [];
  const rec = (left: number, start: number, p: number[]): void => {
    if (p.some((v) => v > 0)) out.push(p.slice());
    if (left === 0) return;
    for (let i = start; i < d; i++) {
      p[i] = (p[i] ?? 0) + 1;
      rec(left - 1, i, p);
      p[i] = (p[i] ?? 0) - 1;
    }
  };
  rec(degree, 0, new Array<number>(d).fill(0));
  return out;
}

export function monomialTree(p: readonly number[], names: readonly string[], ops: ReadonlySet<OpName>): ExprNode {
  let t: ExprNode | undefined;
  p.forEach((e, i) => {
    if (e === 0) return;
    const f = power(variable(names[i] as string), e, ops);
    t = t === undefined ? f : binary('*', t, f);
  });
  return t ?? constant(1);
}

export function monomialColumn(p: readonly number[], cols: readonly Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n).fill(1);
  p.forEach((e, j) => {
    const c = cols[j] as Float64Array;
    for (let k = 0; k < e; k++) for (let i = 0; i < n; i++) out[i] = (out[i] as number) * (c[i] as number);
  });
  return out;
}

/** Gram matrix and right-hand side of columns against a target, with the columns' RMS. */
export interface Gram {
  readonly G: Float64Array;
  readonly b: Float64Array;
  readonly k: number;
  readonly scale: Float64Array;
  readonly targetRms: number;
}

export function gramOf(cols: readonly Float64Array[], target: Float64Array): Gram {
  const k = cols.length;
  const n = target.length;
  const G = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const ci = cols[i] as Float64Array;
    for (let j = 0; j <= i; j++) {
      const cj = cols[j] as Float64Array;
      let acc = 0;
      for (let r = 0; r < n; r++) acc += (ci[r] as number) * (cj[r] as number);
      G[i * k + j] = acc;
      G[j * k + i] = acc;
    }
    let acc = 0;
    for (let r = 0; r < n; r++) acc += (ci[r] as number) * (target[r] as number);
    b[i] = acc;
  }
  const scale = new Float64Array(k);
  for (let i = 0; i < k; i++) scale[i] = Math.sqrt((G[i * k + i] as number) / n) || 1;
  const targetRms = Math.sqrt(target.reduce((s, v) => s + v * v, 0) / n) || 1;
  return { G, b, k, scale, targetRms };
}

/**
 * Sequentially thresholded least squares (STLSQ; Brunton, Proctor & Kutz 2016) over a subset of
 * the columns of a {@link Gram}: drops columns whose contribution (|coefficient|·RMS of the column)
 * is below `tau`·RMS(target). Returns coefficients per column (0 off the support), or undefined
 * when a solve fails.
 */
export function stlsq(g: Gram, allowed: readonly number[], tau: number, n: number): Float64Array | undefined {
  const { G, b, k, scale, targetRms } = g;
  let support = allowed.slice();
  let coef = new Float64Array(k);
  for (let it = 0; it < 10 && support.length > 0; it++) {
    const m = support.length;
    const A = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    support.forEach((i, a) => {
      rhs[a] = (b[i] as number) / (scale[i] as number);
      support.forEach((j, c) => {
        A[a * m + c] = (G[i * k + j] as number) / ((scale[i] as number) * (scale[j] as number));
      });
      A[a * m + a] = (A[a * m + a] as number) + 1e-10 * n;
    });
    const xi = solveSpd(A, rhs, m);
    if (xi === undefined) return undefined;
    coef = new Float64Array(k);
    support.forEach((j, a) => {
      coef[j] = (xi[a] as number) / (scale[j] as number);
    });
    const next = support.filter((j) => Math.abs(coef[j] as number) * (scale[j] as number) >= tau * targetRms);
    if (next.length === support.length) break;
    support = next;
  }
  return support.length === 0 ? undefined : coef;
}

/** Residual sum of squares |A c − t|² from the Gram matrix: tᵀt − 2cᵀb + cᵀGc. */
export function residual(g: Gram, coef: Float64Array, target: Float64Array): number {
  const { G, b, k } = g;
  let r = target.reduce((s, v) => s + v * v, 0);
  for (let i = 0; i < k; i++) {
    const ci = coef[i] as number;
    if (ci === 0) continue;
    r -= 2 * ci * (b[i] as number);
    for (let j = 0; j < k; j++) r += ci * (G[i * k + j] as number) * (coef[j] as number);
  }
  return Math.max(r, 0);
}

/** `Σ c·monomial` of a polynomial kept as exponent-vector keys → coefficients; undefined when empty. */
export function polyTree(poly: ReadonlyMap<string, number>, names: readonly string[], ops: ReadonlySet<OpName>) {
  let t: ExprNode | undefined;
  for (const [key, c] of poly) {
    if (c === 0) continue;
    const p = key.split(',').map(Number);
    const term = degreeOf(p) === 0 ? constant(c) : binary('*', constant(c), monomialTree(p, names, ops));
    t = t === undefined ? term : binary('+', t, term);
  }
  return t;
}

/**
 * Long division of P by a binomial Q = q₀ + q_k·v^k in one input v (`1 + x`, `1 + y²`): P = A·Q + R
 * with R of degree < k in v, so that P/Q reads A + R/Q (`(4x + 3x² − x³ − xy)/(1 + x)` →
 * `4x − x² − y + y/(1 + x)`, a model's own form more often than the expanded ratio). Undefined
 * when Q is not such a binomial, nothing divides, or the quotient is a constant.
 */
export function divide(P: ReadonlyMap<string, number>, Q: ReadonlyMap<string, number>, d: number) {
  if (Q.size !== 2) return undefined;
  const zero = new Array<number>(d).fill(0).join();
  const q0 = Q.get(zero);
  const lead = [...Q.entries()].find(([key]) => key !== zero);
  if (q0 === undefined || lead === undefined) return undefined;
  const e = lead[0].split(',').map(Number);
  const v = e.findIndex((x) => x > 0);
  const k = e[v] as number;
  if (e.some((x, i) => i !== v && x !== 0)) return undefined;
  const qk = lead[1];
  const R = new Map(P);
  const A = new Map<string, number>();
  for (let guard = 0; guard < 50; guard++) {
    let top: [number[], number] | undefined;
    for (const [key, c] of R) {
      const p = key.split(',').map(Number);
      if (c !== 0 && (p[v] as number) >= k && (top === undefined || (p[v] as number) > (top[0][v] as number)))
        top = [p, c];
    }
    if (top === undefined) break;
    const [p, c] = top;
    const t = c / qk;
    const lower = p.slice();
    lower[v] = (lower[v] as number) - k;
    A.set(lower.join(), (A.get(lower.join()) ?? 0) + t);
    R.delete(p.join());
    R.set(lower.join(), (R.get(lower.join()) ?? 0) - t * q0);
  }
  // a constant quotient (3x/(0.4 + x) = 3 − 1.2/(0.4 + x)) reads better undivided
  if (A.size === 0 || [...A.keys()].every((key) => key === zero)) return undefined;
  // cancellation leaves round-off where a coefficient should be 0
  const scale = Math.max(...[...P.values()].map(Math.abs));
  for (const m of [A, R]) for (const [key, c] of m) if (Math.abs(c) <= 1e-6 * scale) m.delete(key);
  return { quotient: A, remainder: R };
}

/** Total degree of an exponent vector. */
export const degreeOf = (p: readonly number[]): number => p.reduce((a, b) => a + b, 0);

/** `v^p` with `^` when allowed, else as a product of `p` factors. */
export function power(v: ExprNode, p: number, ops: ReadonlySet<OpName>): ExprNode {
  if (p === 1) return v;
  if (ops.has('^')) return binary('^', v, constant(p));
  let out = v;
  for (let k = 1; k < p; k++) out = binary('*', out, v);
  return out;
}

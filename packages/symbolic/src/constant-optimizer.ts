import type { Rng } from '@odekit/core';
import { solveSpd } from './linalg.js';
import { constantsOf, type ExprNode, withConstants } from './node.js';
import { mseOf, type Objective, type RowView } from './objective.js';

/** Options of {@link optimizeConstants}. */
export interface ConstantOptimizerOptions {
  readonly algorithm: 'LM' | 'BFGS';
  readonly iterations: number;
  readonly restarts: number;
  /** Constants (by pre-order index) held fixed, e.g. the integer exponents of a polynomial. */
  readonly frozen?: readonly boolean[];
}

interface Fit {
  x: Float64Array;
  loss: number;
}

/** Loss at constants `x`, prediction written to `out`. */
function lossAt(tree: ExprNode, x: Float64Array, view: RowView, out: Float64Array, objective: Objective): number {
  objective.evaluations++;
  view.evaluator.evaluate(withConstants(tree, x), out);
  return mseOf(out, view);
}

/** Forward-difference Jacobian columns ∂f/∂x_j into `J[j]` (f = prediction at x); zero where not finite. */
function jacobian(
  tree: ExprNode,
  x: Float64Array,
  f: Float64Array,
  J: Float64Array[],
  view: RowView,
  objective: Objective,
  frozen: readonly boolean[] | undefined,
) {
  const n = view.n;
  for (let j = 0; j < x.length; j++) {
    if (frozen?.[j]) {
      (J[j] as Float64Array).fill(0);
      continue;
    }
    const xj = Float64Array.from(x);
    const h = 1.5e-8 * Math.max(Math.abs(x[j] as number), 1);
    xj[j] = (x[j] as number) + h;
    const col = J[j] as Float64Array;
    lossAt(tree, xj, view, col, objective);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      col[i] = ((col[i] as number) - (f[i] as number)) / h;
      sum += col[i] as number;
    }
    // a constant whose perturbation leaves the domain (the integer exponent of x^3 over negative x)
    // is held fixed: a zero column, so the step moves only the others
    if (!Number.isFinite(sum)) col.fill(0);
  }
}

/** Normal-equation pieces A = JᵀWJ, g = JᵀW(f − y). */
function normal(J: Float64Array[], f: Float64Array, view: RowView): { A: Float64Array; g: Float64Array } {
  const k = J.length;
  const { n, y, weights } = view;
  const A = new Float64Array(k * k);
  const g = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    const ca = J[a] as Float64Array;
    for (let b = 0; b <= a; b++) {
      const cb = J[b] as Float64Array;
      let s = 0;
      for (let i = 0; i < n; i++) s += (weights ? (weights[i] as number) : 1) * (ca[i] as number) * (cb[i] as number);
      A[a * k + b] = s;
      A[b * k + a] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++)
      s += (weights ? (weights[i] as number) : 1) * (ca[i] as number) * ((f[i] as number) - (y[i] as number));
    g[a] = s;
  }
  return { A, g };
}

/** Levenberg–Marquardt (Marquardt 1963, doi:10.1137/0111030) with Marquardt's diagonal scaling. */
function levenbergMarquardt(
  tree: ExprNode,
  x0: Float64Array,
  view: RowView,
  iterations: number,
  objective: Objective,
  frozen?: readonly boolean[],
): Fit {
  const k = x0.length;
  let f = new Float64Array(view.n);
  let trial = new Float64Array(view.n);
  const J = Array.from({ length: k }, () => new Float64Array(view.n));
  let x = Float64Array.from(x0);
  let loss = lossAt(tree, x, view, f, objective);
  if (!Number.isFinite(loss)) return { x, loss };
  let lambda = 1e-3;
  for (let it = 0; it < iterations; it++) {
    jacobian(tree, x, f, J, view, objective, frozen);
    const { A, g } = normal(J, f, view);
    if (!A.every(Number.isFinite) || !g.every(Number.isFinite)) break;
    let maxDiag = 0;
    for (let a = 0; a < k; a++) maxDiag = Math.max(maxDiag, A[a * k + a] as number);
    let improved = 0;
    for (let tries = 0; tries < 8; tries++) {
      const M = Float64Array.from(A);
      for (let a = 0; a < k; a++) M[a * k + a] = (A[a * k + a] as number) * (1 + lambda) + 1e-12 * maxDiag + 1e-300;
      const delta = solveSpd(
        M,
        g.map((v) => -v),
        k,
      );
      if (!delta) {
        lambda *= 4;
        continue;
      }
      const xn = x.map((v, a) => v + (delta[a] as number));
      const ln = lossAt(tree, xn, view, trial, objective);
      if (ln < loss) {
        improved = loss - ln;
        x = xn;
        loss = ln;
        [f, trial] = [trial, f];
        lambda = Math.max(lambda / 3, 1e-12);
        break;
      }
      lambda *= 4;
    }
    if (improved <= 1e-14 * loss) break;
  }
  return { x, loss };
}

/** BFGS (Nocedal & Wright 2006, alg. 6.1) with a backtracking Armijo line search and forward-difference gradients. */
function bfgs(
  tree: ExprNode,
  x0: Float64Array,
  view: RowView,
  iterations: number,
  objective: Objective,
  frozen?: readonly boolean[],
): Fit {
  const k = x0.length;
  const f = new Float64Array(view.n);
  const J = Array.from({ length: k }, () => new Float64Array(view.n));
  const gradAt = (x: Float64Array): { loss: number; grad: Float64Array } => {
    const loss = lossAt(tree, x, view, f, objective);
    if (!Number.isFinite(loss)) return { loss, grad: new Float64Array(k) };
    jacobian(tree, x, f, J, view, objective, frozen);
    const { g } = normal(J, f, view);
    return { loss, grad: g.map((v) => (2 * v) / view.sumWeights) };
  };
  let x = Float64Array.from(x0);
  let { loss, grad } = gradAt(x);
  if (!Number.isFinite(loss)) return { x, loss };
  const H = new Float64Array(k * k);
  for (let a = 0; a < k; a++) H[a * k + a] = 1;
  for (let it = 0; it < iterations; it++) {
    const p = new Float64Array(k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) p[a] = (p[a] as number) - (H[a * k + b] as number) * (grad[b] as number);
    let slope = 0;
    for (let a = 0; a < k; a++) slope += (p[a] as number) * (grad[a] as number);
    if (!(slope < 0)) break;
    let t = 1;
    let next: { loss: number; grad: Float64Array } | undefined;
    let xn = x;
    for (let ls = 0; ls < 20; ls++) {
      xn = x.map((v, a) => v + t * (p[a] as number));
      const ln = lossAt(tree, xn, view, f, objective);
      if (ln <= loss + 1e-4 * t * slope) {
        next = gradAt(xn);
        break;
      }
      t *= 0.5;
    }
    if (!next) break;
    const s = xn.map((v, a) => v - (x[a] as number));
    const yv = next.grad.map((v, a) => v - (grad[a] as number));
    let sy = 0;
    for (let a = 0; a < k; a++) sy += (s[a] as number) * (yv[a] as number);
    const improvement = loss - next.loss;
    x = xn;
    loss = next.loss;
    grad = next.grad;
    if (sy > 1e-300) {
      const Hy = new Float64Array(k);
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) Hy[a] = (Hy[a] as number) + (H[a * k + b] as number) * (yv[b] as number);
      let yHy = 0;
      for (let a = 0; a < k; a++) yHy += (yv[a] as number) * (Hy[a] as number);
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          const sa = s[a] as number;
          const sb = s[b] as number;
          H[a * k + b] =
            (H[a * k + b] as number) +
            ((sy + yHy) * sa * sb) / (sy * sy) -
            ((Hy[a] as number) * sb + sa * (Hy[b] as number)) / sy;
        }
      }
    }
    if (improvement <= 1e-14 * loss) break;
  }
  return { x, loss };
}

/**
 * Optimises the constants of `tree` for the weighted MSE on `view`, as SymbolicRegression.jl does
 * after each cycle (Cranmer 2023, arXiv:2305.01582): one run from the current constants and
 * `restarts` runs from constants scaled by `1 + 0.5·N(0,1)`, keeping the best. Returns the tree
 * (unchanged when nothing improved) and its loss.
 */
export function optimizeConstants(
  tree: ExprNode,
  view: RowView,
  objective: Objective,
  rng: Rng,
  { algorithm, iterations, restarts, frozen }: ConstantOptimizerOptions,
): { tree: ExprNode; loss: number } {
  const x0 = Float64Array.from(constantsOf(tree));
  const before = lossAt(tree, x0, view, new Float64Array(view.n), objective);
  if (x0.length === 0) return { tree, loss: before };
  const run = algorithm === 'BFGS' ? bfgs : levenbergMarquardt;
  let best = run(tree, x0, view, iterations, objective, frozen);
  for (let r = 0; r < restarts; r++) {
    const start = x0.map((v, j) => (frozen?.[j] ? v : v * (1 + 0.5 * rng.nextNormal())));
    const fit = run(tree, start, view, iterations, objective, frozen);
    if (fit.loss < best.loss) best = fit;
  }
  if (!(best.loss < before)) return { tree, loss: before };
  return { tree: withConstants(tree, best.x), loss: best.loss };
}

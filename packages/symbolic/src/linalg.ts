import { portablePow } from '@odekit/core';
/**
 * Solves the symmetric positive-definite system `A x = b` (A is `k×k`, row-major) by Cholesky
 * factorisation. Returns `undefined` when A is not numerically positive definite. Small dense
 * systems only (normal equations, Levenberg–Marquardt steps).
 */
export function solveSpd(A: Float64Array, b: Float64Array, k: number): Float64Array | undefined {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j] as number;
      for (let m = 0; m < j; m++) s -= (L[i * k + m] as number) * (L[j * k + m] as number);
      if (i === j) {
        if (!(s > 1e-300)) return undefined;
        L[i * k + i] = Math.sqrt(s);
      } else L[i * k + j] = s / (L[j * k + j] as number);
    }
  }
  const x = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i] as number;
    for (let m = 0; m < i; m++) s -= (L[i * k + m] as number) * (x[m] as number);
    x[i] = s / (L[i * k + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let m = i + 1; m < k; m++) s -= (L[m * k + i] as number) * (x[m] as number);
    x[i] = s / (L[i * k + i] as number);
  }
  return x;
}

/**
 * Weighted (ridge) least squares over columns: minimises `Σ w_i (Σ_j c_j θ_j[i] − y_i)² + ridge·|c|²`
 * through the normal equations. Falls back to a tiny relative ridge when they are singular.
 */
export function leastSquares(
  columns: readonly Float64Array[],
  y: Float64Array,
  weights: Float64Array | undefined,
  ridge: number,
): Float64Array {
  const k = columns.length;
  const n = y.length;
  const A = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const ci = columns[i] as Float64Array;
    for (let j = 0; j <= i; j++) {
      const cj = columns[j] as Float64Array;
      let s = 0;
      if (weights) for (let r = 0; r < n; r++) s += (weights[r] as number) * (ci[r] as number) * (cj[r] as number);
      else for (let r = 0; r < n; r++) s += (ci[r] as number) * (cj[r] as number);
      A[i * k + j] = s;
      A[j * k + i] = s;
    }
    let s = 0;
    if (weights) for (let r = 0; r < n; r++) s += (weights[r] as number) * (ci[r] as number) * (y[r] as number);
    else for (let r = 0; r < n; r++) s += (ci[r] as number) * (y[r] as number);
    b[i] = s;
  }
  let trace = 0;
  for (let i = 0; i < k; i++) trace += A[i * k + i] as number;
  for (let attempt = 0; attempt < 8; attempt++) {
    const extra = attempt === 0 ? ridge : ridge + (trace / Math.max(k, 1)) * portablePow(10, attempt - 14);
    const M = Float64Array.from(A);
    for (let i = 0; i < k; i++) M[i * k + i] = (M[i * k + i] as number) + extra;
    const x = solveSpd(M, b, k);
    if (x) return x;
  }
  return new Float64Array(k);
}

/**
 * Small dense LU factorisation with partial pivoting on plain `Float64Array`s, for the
 * Newton iteration matrices of the implicit solvers. Matrices are stored row-major in blocks of
 * `n × n` (one block per batch sample, at `offset`), pivots as row indices.
 *
 * Algorithm: Doolittle elimination with row pivoting (Golub & Van Loan, *Matrix Computations*,
 * 4th ed., Algorithm 3.4.1).
 */

/**
 * Factors the `n × n` block of `a` at `offset` in place (`P·A = L·U`, unit lower `L`), writing
 * the pivot rows to `piv[pivOffset…]`. Returns false when a pivot is zero or not finite (the
 * matrix is singular to working precision); the block is then left partly factored.
 *
 * @example
 * ```ts
 * import { luFactor, luSolve } from '@odekit/solvers';
 * const a = Float64Array.from([0, 2, 1, 1]);
 * const piv = new Int32Array(2);
 * if (!luFactor(a, 2, piv)) throw new Error('singular');
 * const x = Float64Array.from([2, 3]); // solves [[0,2],[1,1]] x = [2, 3]
 * luSolve(a, 2, piv, x);
 * if (Math.abs((x[0] as number) - 2) > 1e-15 || Math.abs((x[1] as number) - 1) > 1e-15) throw new Error('bad');
 * ```
 */
export function luFactor(a: Float64Array, n: number, piv: Int32Array, offset = 0, pivOffset = 0): boolean {
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[offset + k * n + k] as number);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[offset + i * n + k] as number);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    piv[pivOffset + k] = p;
    if (!(best > 0 && best < Number.POSITIVE_INFINITY)) return false;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[offset + k * n + j] as number;
        a[offset + k * n + j] = a[offset + p * n + j] as number;
        a[offset + p * n + j] = t;
      }
    }
    const pivot = a[offset + k * n + k] as number;
    for (let i = k + 1; i < n; i++) {
      const l = (a[offset + i * n + k] as number) / pivot;
      a[offset + i * n + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) {
        a[offset + i * n + j] = (a[offset + i * n + j] as number) - l * (a[offset + k * n + j] as number);
      }
    }
  }
  return true;
}

/**
 * Solves `A x = b` in place (`b` at `bOffset` becomes `x`) with a block factored by
 * {@link luFactor}.
 *
 * @example
 * ```ts
 * import { luFactor, luSolve } from '@odekit/solvers';
 * const a = Float64Array.from([4]);
 * const piv = new Int32Array(1);
 * luFactor(a, 1, piv);
 * const x = Float64Array.from([2]);
 * luSolve(a, 1, piv, x);
 * if (x[0] !== 0.5) throw new Error('bad');
 * ```
 */
export function luSolve(
  lu: Float64Array,
  n: number,
  piv: Int32Array,
  b: Float64Array,
  offset = 0,
  pivOffset = 0,
  bOffset = 0,
): void {
  for (let k = 0; k < n; k++) {
    const p = piv[pivOffset + k] as number;
    if (p !== k) {
      const t = b[bOffset + k] as number;
      b[bOffset + k] = b[bOffset + p] as number;
      b[bOffset + p] = t;
    }
  }
  for (let i = 1; i < n; i++) {
    let s = b[bOffset + i] as number;
    for (let j = 0; j < i; j++) s -= (lu[offset + i * n + j] as number) * (b[bOffset + j] as number);
    b[bOffset + i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[bOffset + i] as number;
    for (let j = i + 1; j < n; j++) s -= (lu[offset + i * n + j] as number) * (b[bOffset + j] as number);
    b[bOffset + i] = s / (lu[offset + i * n + i] as number);
  }
}

/**
 * Solves the transposed system `Aᵀ x = b` in place with a block factored by {@link luFactor}
 * (`Uᵀ Lᵀ P x = b`): what a vector–Jacobian product through a linear solve needs.
 *
 * @example
 * ```ts
 * import { luFactor, luSolveTransposed } from '@odekit/solvers';
 * const a = Float64Array.from([1, 2, 0, 1]); // [[1,2],[0,1]]ᵀ x = [1, 4] → x = [1, 2]
 * const piv = new Int32Array(2);
 * luFactor(a, 2, piv);
 * const x = Float64Array.from([1, 4]);
 * luSolveTransposed(a, 2, piv, x);
 * if (x[0] !== 1 || x[1] !== 2) throw new Error('bad');
 * ```
 */
export function luSolveTransposed(
  lu: Float64Array,
  n: number,
  piv: Int32Array,
  b: Float64Array,
  offset = 0,
  pivOffset = 0,
  bOffset = 0,
): void {
  // Uᵀ w = b (forward), Lᵀ v = w (backward), x = Pᵀ v (undo the swaps in reverse)
  for (let i = 0; i < n; i++) {
    let s = b[bOffset + i] as number;
    for (let j = 0; j < i; j++) s -= (lu[offset + j * n + i] as number) * (b[bOffset + j] as number);
    b[bOffset + i] = s / (lu[offset + i * n + i] as number);
  }
  for (let i = n - 2; i >= 0; i--) {
    let s = b[bOffset + i] as number;
    for (let j = i + 1; j < n; j++) s -= (lu[offset + j * n + i] as number) * (b[bOffset + j] as number);
    b[bOffset + i] = s;
  }
  for (let k = n - 1; k >= 0; k--) {
    const p = piv[pivOffset + k] as number;
    if (p !== k) {
      const t = b[bOffset + k] as number;
      b[bOffset + k] = b[bOffset + p] as number;
      b[bOffset + p] = t;
    }
  }
}

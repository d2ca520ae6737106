import { luFactor, luSolve } from './dense-lu.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import { evaluateJacobian, type JacobianOption } from './jacobian.js';
import { RADAU_A, RADAU_C } from './radau-tableau.js';

/**
 * The stage Jacobians `J_i = ∂f/∂y(t0 + c_i h, y0 + Z_i)` (`'auto'`: exact VJP rows where the field
 * has them) and the per-sample matrix `M = I − h(A ⊗ I)·blockdiag(J_1, J_2, J_3)` (`3D × 3D`,
 * row-major, stage-major inside a sample): the derivative of the stage equations
 * `Z = h(A ⊗ I)·F(y0 + Z)` in `Z`. Returns `M`; the field evaluations they took
 * are in `nfe`, the stage values `F_i = f(t0 + c_i h, y0 + Z_i)` in `F`.
 */
export function stageMatrix(
  option: JacobianOption,
  f: HostFieldWithVjp,
  t0: number,
  h: number,
  y0: Float64Array,
  Z: readonly Float64Array[],
  batch: number,
): { M: Float64Array; F: Float64Array[]; nfe: number } {
  const N = y0.length;
  const D = N / batch;
  const n3 = 3 * D;
  let nfe = 0;
  const F: Float64Array[] = [];
  const J = [0, 1, 2].map((i) => {
    const Yi = Float64Array.from(y0);
    const zi = Z[i] as Float64Array;
    for (let q = 0; q < N; q++) Yi[q] = (Yi[q] as number) + (zi[q] as number);
    const ti = t0 + (RADAU_C[i] as number) * h;
    const fi = f(ti, Yi);
    F.push(Float64Array.from(fi));
    const out = new Float64Array(batch * D * D);
    nfe += 1 + evaluateJacobian(option, true, f, ti, Yi, fi, { batch, D }, out);
    return out;
  });
  const M = new Float64Array(batch * n3 * n3);
  for (let b = 0; b < batch; b++) {
    const off = b * n3 * n3;
    for (let I = 0; I < 3; I++) {
      for (let K = 0; K < 3; K++) {
        const ha = h * ((RADAU_A[I] as readonly number[])[K] as number);
        const JK = J[K] as Float64Array;
        for (let i = 0; i < D; i++) {
          for (let k = 0; k < D; k++) {
            M[off + (I * D + i) * n3 + K * D + k] =
              (I === K && i === k ? 1 : 0) - ha * (JK[b * D * D + i * D + k] as number);
          }
        }
      }
    }
  }
  return { M, F, nfe };
}

/** `M⁻ᵀ` per sample (row-major `[batch][3D][3D]`), so that a row vector times it is `(M⁻¹v)ᵀ`; undefined if singular. */
export function stageInverseTransposed(M: Float64Array, batch: number, n3: number): Float64Array | undefined {
  const lu = Float64Array.from(M);
  const piv = new Int32Array(batch * n3);
  const out = new Float64Array(batch * n3 * n3);
  const col = new Float64Array(n3);
  for (let b = 0; b < batch; b++) {
    const off = b * n3 * n3;
    if (!luFactor(lu, n3, piv, off, b * n3)) return undefined;
    for (let j = 0; j < n3; j++) {
      col.fill(0);
      col[j] = 1;
      luSolve(lu, n3, piv, col, off, b * n3, 0);
      for (let i = 0; i < n3; i++) out[off + j * n3 + i] = col[i] as number;
    }
  }
  return out;
}

import { matMulBlock } from '../cpu-kernels/matmul.js';
import type { FloatArray } from './float-array.js';

/**
 * `out[b, m, n] = Σ_k A[b, m, k]·B[b, k, n]` with A and B given by strides (so transposes and a
 * batch of one that broadcasts cost nothing); sums in float64, stored as float32.
 */
export interface MatMulPlan {
  transposeA: boolean;
  transposeB: boolean;
  batch: number;
  M: number;
  K: number;
  N: number;
  /** A's strides: per batch (0 when broadcast), per row m, per k. */
  sab: number;
  sam: number;
  sak: number;
  /** B's strides: per batch, per k, per column n. */
  sbb: number;
  sbk: number;
  sbn: number;
}

export function matMulForward(p: MatMulPlan, a: FloatArray, b: FloatArray, out: FloatArray, acc: Float64Array): void {
  const { batch, M, K, N, sab, sbb } = p;
  for (let q = 0; q < batch; q++) {
    matMulBlock(a, q * sab, b, q * sbb, out, q * M * N, M, K, N, p.transposeA, p.transposeB, acc);
  }
}

/** Adds `ct·Bᵀ` into `ca` and `Aᵀ·ct` into `cb` (either may be skipped), with the plan's strides. */
export function matMulBackward(
  p: MatMulPlan,
  a: FloatArray,
  b: FloatArray,
  ct: Float64Array,
  ca: Float64Array | undefined,
  cb: Float64Array | undefined,
): void {
  const { batch, M, K, N, sab, sam, sak, sbb, sbk, sbn } = p;
  for (let q = 0; q < batch; q++) {
    const a0 = q * sab;
    const b0 = q * sbb;
    for (let m = 0; m < M; m++) {
      const am = a0 + m * sam;
      const c0 = (q * M + m) * N;
      for (let n = 0; n < N; n++) {
        const g = ct[c0 + n] as number;
        if (g === 0) continue;
        const bn = b0 + n * sbn;
        if (ca)
          for (let k = 0; k < K; k++) ca[am + k * sak] = (ca[am + k * sak] as number) + g * (b[bn + k * sbk] as number);
        if (cb)
          for (let k = 0; k < K; k++) cb[bn + k * sbk] = (cb[bn + k * sbk] as number) + g * (a[am + k * sak] as number);
      }
    }
  }
}

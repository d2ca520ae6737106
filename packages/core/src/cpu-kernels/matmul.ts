import type * as tf from '@tensorflow/tfjs-core';
import type { FloatArray } from '../host-ops/float-array.js';
import { BINARY_LOOPS } from './binary.js';
import { broadcastShapes, planBroadcast, runBroadcast } from './broadcast.js';
import { float32Result, float32Values, sizeOf } from './cpu-data.js';

/**
 * `out[oo..] = op(A)·op(B)` for one `[M, K]·[K, N]` block, accumulated in float64 and rounded to
 * float32 once per element. Without transposeB the loop runs i-k-j (the inner loop walks a row
 * of B and of the accumulator contiguously); with transposeB it runs i-j-k over rows of B.
 */
export function matMulBlock(
  a: FloatArray,
  oa: number,
  b: FloatArray,
  ob: number,
  out: FloatArray,
  oo: number,
  M: number,
  K: number,
  N: number,
  transposeA: boolean,
  transposeB: boolean,
  acc: Float64Array,
): void {
  const ai = transposeA ? 1 : K; // A(i, k) = a[oa + i·ai + k·ak]
  const ak = transposeA ? M : 1;
  if (K <= 4) {
    smallInner(a, oa, ai, ak, b, ob, out, oo, M, K, N, transposeB, acc);
    return;
  }
  if (transposeB) {
    // B(k, j) = b[ob + j·K + k]: a dot product of two rows per output
    for (let i = 0; i < M; i++) {
      const rowA = oa + i * ai;
      for (let j = 0; j < N; j++) {
        const rowB = ob + j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += (a[rowA + k * ak] as number) * (b[rowB + k] as number);
        out[oo + i * N + j] = s;
      }
    }
    return;
  }
  if (N === 1) {
    for (let i = 0; i < M; i++) {
      const rowA = oa + i * ai;
      let s = 0;
      for (let k = 0; k < K; k++) s += (a[rowA + k * ak] as number) * (b[ob + k] as number);
      out[oo + i] = s;
    }
    return;
  }
  // rows are short here as often as long: plain loops, not fill/set calls, per row
  for (let i = 0; i < M; i++) {
    const rowA = oa + i * ai;
    for (let j = 0; j < N; j++) acc[j] = 0;
    for (let k = 0; k < K; k++) {
      const aik = a[rowA + k * ak] as number;
      const rowB = ob + k * N;
      for (let j = 0; j < N; j++) acc[j] = (acc[j] as number) + aik * (b[rowB + j] as number);
    }
    const rowO = oo + i * N;
    for (let j = 0; j < N; j++) out[rowO + j] = acc[j] as number;
  }
}

/**
 * The product for an inner dimension K ≤ 4 (a neural field's `[B, 2]·[2, H]`): columns of the
 * output in blocks of four, each block one pass over the rows of A with its (up to 16)
 * coefficients of B held in locals; missing rows and columns of the 4×4 block are zero
 * coefficients and skipped stores (branches that do not change inside the loop).
 */
function smallInner(
  a: FloatArray,
  oa: number,
  ai: number,
  ak: number,
  b: FloatArray,
  ob: number,
  out: FloatArray,
  oo: number,
  M: number,
  K: number,
  N: number,
  transposeB: boolean,
  bk: Float64Array,
): void {
  if (K === 0) return; // the output stays zero
  const bj = transposeB ? K : 1; // B(k, j) = b[ob + k·bkk + j·bj]
  const bkk = transposeB ? 1 : N;
  for (let j0 = 0; j0 < N; j0 += 4) {
    const w = Math.min(4, N - j0);
    // bk[4k + c] = B(k, j0 + c), zero outside the block
    for (let k = 0; k < 4; k++) {
      for (let c = 0; c < 4; c++) bk[4 * k + c] = k < K && c < w ? (b[ob + k * bkk + (j0 + c) * bj] as number) : 0;
    }
    const c00 = bk[0] as number;
    const c01 = bk[1] as number;
    const c02 = bk[2] as number;
    const c03 = bk[3] as number;
    const c10 = bk[4] as number;
    const c11 = bk[5] as number;
    const c12 = bk[6] as number;
    const c13 = bk[7] as number;
    const c20 = bk[8] as number;
    const c21 = bk[9] as number;
    const c22 = bk[10] as number;
    const c23 = bk[11] as number;
    const c30 = bk[12] as number;
    const c31 = bk[13] as number;
    const c32 = bk[14] as number;
    const c33 = bk[15] as number;
    if (K === 1) {
      for (let i = 0, r = oa, o = oo + j0; i < M; i++, r += ai, o += N) {
        const a0 = a[r] as number;
        out[o] = a0 * c00;
        if (w > 1) out[o + 1] = a0 * c01;
        if (w > 2) out[o + 2] = a0 * c02;
        if (w > 3) out[o + 3] = a0 * c03;
      }
      continue;
    }
    if (K === 2) {
      // a two-component state (x·Wᵀ of a 2 → H layer): half the arithmetic of the 4×4 block
      for (let i = 0, r = oa, o = oo + j0; i < M; i++, r += ai, o += N) {
        const a0 = a[r] as number;
        const a1 = a[r + ak] as number;
        out[o] = a0 * c00 + a1 * c10;
        if (w > 1) out[o + 1] = a0 * c01 + a1 * c11;
        if (w > 2) out[o + 2] = a0 * c02 + a1 * c12;
        if (w > 3) out[o + 3] = a0 * c03 + a1 * c13;
      }
      continue;
    }
    for (let i = 0, r = oa, o = oo + j0; i < M; i++, r += ai, o += N) {
      const a0 = a[r] as number;
      const a1 = a[r + ak] as number;
      const a2 = K > 2 ? (a[r + 2 * ak] as number) : 0;
      const a3 = K > 3 ? (a[r + 3 * ak] as number) : 0;
      out[o] = a0 * c00 + a1 * c10 + a2 * c20 + a3 * c30;
      if (w > 1) out[o + 1] = a0 * c01 + a1 * c11 + a2 * c21 + a3 * c31;
      if (w > 2) out[o + 2] = a0 * c02 + a1 * c12 + a2 * c22 + a3 * c32;
      if (w > 3) out[o + 3] = a0 * c03 + a1 * c13 + a2 * c23 + a3 * c33;
    }
  }
}

/** Everything a batched matMul needs, or `undefined` for cases left to tfjs's own kernel. */
interface MatMulPlan {
  outShape: number[];
  batch: number;
  strideA: number; // 0 when A is broadcast over the batch
  strideB: number;
  M: number;
  K: number;
  N: number;
}

function planMatMul(a: tf.TensorInfo, b: tf.TensorInfo, tA: boolean, tB: boolean): MatMulPlan | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const M = (tA ? a.shape[ra - 1] : a.shape[ra - 2]) as number;
  const K = (tA ? a.shape[ra - 2] : a.shape[ra - 1]) as number;
  const kb = (tB ? b.shape[rb - 1] : b.shape[rb - 2]) as number;
  const N = (tB ? b.shape[rb - 2] : b.shape[rb - 1]) as number;
  if (K !== kb) return undefined;
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const batchA = sizeOf(batchShapeA);
  const batchB = sizeOf(batchShapeB);
  const batchShape = broadcastShapes(batchShapeA, batchShapeB);
  // equal batches, or one side shared by every batch entry; anything else stays with tfjs
  const sameBatch = batchShapeA.length === batchShapeB.length && batchShapeA.every((d, i) => d === batchShapeB[i]);
  if (batchShape === undefined || !(sameBatch || batchA === 1 || batchB === 1)) return undefined;
  return {
    outShape: [...batchShape, M, N],
    batch: Math.max(batchA, batchB),
    strideA: batchA === 1 ? 0 : M * K,
    strideB: batchB === 1 ? 0 : K * N,
    M,
    K,
    N,
  };
}

function runMatMul(plan: MatMulPlan, av: Float32Array, bv: Float32Array, tA: boolean, tB: boolean): Float32Array {
  const { batch, M, K, N } = plan;
  const out = new Float32Array(batch * M * N);
  const acc = new Float64Array(K <= 4 ? 16 : N); // the small-K block of B, or one row's sums
  for (let q = 0; q < batch; q++) {
    matMulBlock(av, q * plan.strideA, bv, q * plan.strideB, out, q * M * N, M, K, N, tA, tB, acc);
  }
  return out;
}

/** BatchMatMul for float32 inputs (batch equal or broadcast from 1); the rest goes to `original`. */
export function fastBatchMatMulKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    const av = float32Values(args.backend, a);
    const bv = float32Values(args.backend, b);
    if (av === undefined || bv === undefined || a === undefined || b === undefined) return original(args);
    const plan = planMatMul(a, b, tA, tB);
    if (plan === undefined) return original(args);
    return float32Result(args.backend, plan.outShape, runMatMul(plan, av, bv, tA, tB));
  };
}

/**
 * _FusedMatMul for float32 inputs with an optional bias that broadcasts to the product's shape
 * and a `linear` or `relu` activation; other activations and cases go to `original`.
 */
export function fastFusedMatMulKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias } = args.inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo; bias?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
    const activation = attrs.activation ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu') return original(args);
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    const av = float32Values(args.backend, a);
    const bv = float32Values(args.backend, b);
    const biasv = float32Values(args.backend, bias);
    if (av === undefined || bv === undefined || a === undefined || b === undefined) return original(args);
    if (bias !== undefined && biasv === undefined) return original(args);
    const plan = planMatMul(a, b, tA, tB);
    if (plan === undefined) return original(args);
    let out = runMatMul(plan, av, bv, tA, tB);
    let shape = plan.outShape;
    if (bias !== undefined && biasv !== undefined) {
      const addPlan = planBroadcast(shape, bias.shape);
      if (addPlan === undefined) return original(args);
      const sum = new Float32Array(sizeOf(addPlan.outShape));
      runBroadcast(addPlan, BINARY_LOOPS.Add as NonNullable<(typeof BINARY_LOOPS)['Add']>, out, biasv, sum);
      out = sum;
      shape = addPlan.outShape;
    }
    if (activation === 'relu') for (let i = 0; i < out.length; i++) out[i] = Math.max(0, out[i] as number);
    return float32Result(args.backend, shape, out);
  };
}

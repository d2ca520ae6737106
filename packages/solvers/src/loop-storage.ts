import { type FloatArray, tapeIsRecording } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { allFiniteOf, deviceErrorNorm, errorNormOf } from './error-norm.js';
import { combineInto } from './host-combine.js';
import type { AbstractSolver, HostDense, HostField, ImplicitStepStats, RowField, StepTolerances } from './solver.js';

/** One step as the loop sees it, whatever the storage. */
export interface LoopStep<V, D> {
  readonly y1: V;
  readonly yError: V | undefined;
  readonly dense: D;
  readonly f1: V | undefined;
  readonly nfe: number;
  readonly implicitStats?: ImplicitStepStats;
  /** See {@link HostStepOutput.maxGrowth}. */
  readonly maxGrowth?: number;
  /** See {@link HostStepOutput.nextStep}. */
  readonly nextStep?: number;
}

/**
 * Storage-specific operations of the integrate loop: tensors (recordable by a gradient tape,
 * any backend) or host arrays (tape-free, cpu/wasm). `V` is a state, `D` a step's dense rows.
 */
export interface LoopStorage<V, D> {
  readonly host: boolean;
  f(t: number, y: V): V;
  step(t0: number, h: number, y0: V, f0: V | undefined, wantError: boolean, tol?: StepTolerances): LoopStep<V, D>;
  completeDense(t1: number, out: LoopStep<V, D>): { dense: D; f1: V; nfe: number } | undefined;
  errorNorm(y0: V, y1: V, err: V, rtol: number, atol: number, batch: number): number;
  values(y: V): ArrayLike<number>;
  /** `y + a·v`. */
  axpy(y: V, a: number, v: V): V;
  /** Rows `[m, N]` = weights `[m, R]` · dense rows `[R, N]`. */
  interp(dense: D, weights: Float32Array, m: number): V;
  /**
   * Per-sample rows `[m, W]`: row j = weights `[m, R]` row j · the dense rows' columns of sample
   * `samples[j]` (columns `samples[j]·W .. + W`).
   */
  interpSamples(dense: D, weights: Float32Array, samples: Int32Array, W: number): V;
  /** Rows `[m, W]`: the columns of sample `samples[j]` of the state `y`. */
  pickSamples(y: V, samples: Int32Array, W: number): V;
  denseRows(dense: D): number;
  clone(y: V): V;
  dispose(v: V | undefined): void;
  disposeDense(d: D): void;
  /**
   * Stacks saved blocks (each `[m, N]`, flat on the host) into one `[nSaved, N]` tensor (the
   * caller owns it); with `order`, row `i` of the result is stacked row `order[i]`.
   */
  finish(blocks: V[], n?: number, order?: Int32Array): tf.Tensor2D | undefined;
  denseToTensor(d: D): tf.Tensor2D;
}

/** Tensors end to end: every op can be recorded by a gradient tape. */
export function tensorStorage(f: RowField, solver: AbstractSolver): LoopStorage<tf.Tensor2D, tf.Tensor2D> {
  const onHost = tf.getBackend() === 'cpu' || tf.getBackend() === 'wasm';
  return {
    host: false,
    f: (t, y) => tf.tidy(() => f(t, y)),
    step: (t0, h, y0, f0, wantError, tol) => solver.step({ f, t0, h, y0, f0, wantError, ...(tol ? { tol } : {}) }),
    completeDense: (t1, out) => solver.completeDense(f, t1, out),
    errorNorm: (y0, y1, err, rtol, atol, batch) =>
      onHost
        ? errorNormOf(y0.dataSync(), y1.dataSync(), err.dataSync(), rtol, atol, batch)
        : deviceErrorNorm(y0, y1, err, rtol, atol, batch),
    values: (y) => y.dataSync(),
    axpy: (y, a, v) => tf.tidy(() => tf.add(y, tf.mul(v, a))),
    interp: (dense, w, m) => tf.tidy(() => tf.matMul(tf.tensor2d(w, [m, dense.shape[0]]), dense)),
    interpSamples: (dense, w, samples, W) =>
      tf.tidy(() => {
        const [R, N] = dense.shape;
        const m = samples.length;
        // [R, N] → [B, R, W], the samples' blocks [m, R, W], weighted per row: [m, 1, R]·[m, R, W]
        const bySample = tf.transpose(tf.reshape(dense, [R, N / W, W]), [1, 0, 2]);
        const picked = tf.gather(bySample, tf.tensor1d(samples, 'int32'));
        return tf.reshape(tf.matMul(tf.tensor3d(w, [m, 1, R]), picked), [m, W]);
      }),
    pickSamples: (y, samples, W) =>
      tf.tidy(() => tf.gather(tf.reshape(y, [y.size / W, W]), tf.tensor1d(samples, 'int32')) as tf.Tensor2D),
    denseRows: (d) => d.shape[0],
    clone: (y) => tf.clone(y),
    dispose: (v) => v?.dispose(),
    disposeDense: (d) => d.dispose(),
    finish: (blocks, _n, order) => {
      if (blocks.length === 0) return undefined;
      const all = blocks.length === 1 ? (blocks[0] as tf.Tensor2D) : (tf.concat(blocks, 0) as tf.Tensor2D);
      if (blocks.length > 1) for (const b of blocks) b.dispose();
      if (order === undefined) return all;
      const out = tf.tidy(() => tf.gather(all, tf.tensor1d(order, 'int32')) as tf.Tensor2D);
      all.dispose();
      return out;
    },
    denseToTensor: (d) => d,
  };
}

export type HostVec = Float64Array | Float32Array;

/** Host arrays: only the vector field runs tensor ops; nothing is recorded for gradients. */
export function hostStorage(f: HostField, solver: AbstractSolver): LoopStorage<HostVec, HostDense> {
  const stepHost = solver.stepHost;
  const completeHost = solver.completeDenseHost;
  if (stepHost === undefined || completeHost === undefined) {
    throw new Error(`solver '${solver.name}' has no host step; use the tensor storage.`);
  }
  const n = (d: HostDense) => d.y0.length;
  return {
    host: true,
    f: (t, y) => f(t, y instanceof Float64Array ? y : Float64Array.from(y)),
    step: (t0, h, y0, f0, wantError, tol) =>
      stepHost(f, t0, h, y0 as Float64Array, f0 as Float32Array | undefined, wantError, tol),
    completeDense: (t1, out) => completeHost(f, t1, out as Parameters<typeof completeHost>[2]),
    errorNorm: errorNormOf,
    values: (y) => y,
    axpy: (y, a, v) => {
      const out = Float64Array.from(y);
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + a * (v[i] as number);
      return out;
    },
    interp: (dense, w, m) => {
      const N = n(dense);
      const r = dense.k.length + 1;
      const out = new Float64Array(m * N);
      for (let j = 0; j < m; j++) {
        const cs: number[] = [];
        const ks: FloatArray[] = [];
        for (let q = 1; q < r; q++) {
          const c = w[j * r + q] as number;
          if (c === 0) continue;
          cs.push(c);
          ks.push(dense.k[q - 1] as FloatArray);
        }
        combineInto(out.subarray(j * N, (j + 1) * N), N, w[j * r] as number, dense.y0, cs, ks);
      }
      return out;
    },
    interpSamples: (dense, w, samples, W) => {
      // the sums of combineInto (w0·y0, then each nonzero term left to right), on W columns
      const r = dense.k.length + 1;
      const m = samples.length;
      const out = new Float64Array(m * W);
      const y0 = dense.y0;
      for (let j = 0; j < m; j++) {
        const src = (samples[j] as number) * W;
        const dst = j * W;
        const w0 = w[j * r] as number;
        if (w0 === 1) for (let i = 0; i < W; i++) out[dst + i] = y0[src + i] as number;
        else for (let i = 0; i < W; i++) out[dst + i] = w0 * (y0[src + i] as number);
        for (let q = 1; q < r; q++) {
          const c = w[j * r + q] as number;
          if (c === 0) continue;
          const k = dense.k[q - 1] as FloatArray;
          for (let i = 0; i < W; i++) out[dst + i] = (out[dst + i] as number) + c * (k[src + i] as number);
        }
      }
      return out;
    },
    pickSamples: (y, samples, W) => {
      const out = new Float64Array(samples.length * W);
      samples.forEach((b, j) => {
        out.set(y.subarray(b * W, (b + 1) * W), j * W);
      });
      return out;
    },
    denseRows: (d) => d.k.length + 1,
    clone: (y) => Float64Array.from(y),
    dispose: () => {},
    disposeDense: () => {},
    finish: (blocks, n, order) => {
      if (blocks.length === 0) return undefined;
      const total = blocks.reduce((a, b) => a + b.length, 0);
      // the first block may hold several saved rows (an interpolated step): use the state size
      const N = n ?? (blocks[0] as HostVec).length;
      let all = new Float32Array(total);
      let off = 0;
      for (const b of blocks) {
        all.set(b, off);
        off += b.length;
      }
      if (order !== undefined) {
        const sorted = new Float32Array(total);
        order.forEach((from, i) => {
          sorted.set(all.subarray(from * N, (from + 1) * N), i * N);
        });
        all = sorted;
      }
      return tf.tensor2d(all, [total / N, N]);
    },
    denseToTensor: (d) => {
      const N = n(d);
      const all = new Float32Array((d.k.length + 1) * N);
      all.set(d.y0, 0);
      d.k.forEach((k, q) => {
        all.set(k, (q + 1) * N);
      });
      return tf.tensor2d(all, [d.k.length + 1, N]);
    },
  };
}

/** Whether tensor ops made now would be recorded by a gradient tape. */
export { tapeIsRecording };

/** Whether the current backend keeps tensors in host memory, so reading them is cheap. */
export function backendOnHost(): boolean {
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm';
}

export { allFiniteOf };

import { tapeIsRecording } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { allFiniteOf, deviceErrorNorm, errorNormOf } from './error-norm.js';
import { combineInto } from './host-combine.js';
import type { AbstractSolver, HostDense, HostField, ImplicitStepStats, RowField, StepTolerances } from './solver.js';

/** One step as the loop sees it, whatever the storage. */
export interface EngineStep<V, D> {
  readonly y1: V;
  readonly yError: V | undefined;
  readonly dense: D;
  readonly f1: V | undefined;
  readonly nfe: number;
  readonly implicitStats?: ImplicitStepStats;
  /** See {@link HostStepOutput.maxGrowth}. */
  readonly maxGrowth?: number;
}

/**
 * Storage-specific operations of the integrate loop: tensors (recordable by a gradient tape,
 * any backend) or host arrays (tape-free, cpu/wasm). `V` is a state, `D` a step's dense rows.
 */
export interface Engine<V, D> {
  readonly host: boolean;
  f(t: number, y: V): V;
  step(t0: number, h: number, y0: V, f0: V | undefined, wantError: boolean, tol?: StepTolerances): EngineStep<V, D>;
  completeDense(t1: number, out: EngineStep<V, D>): { dense: D; f1: V; nfe: number } | undefined;
  errorNorm(y0: V, y1: V, err: V, rtol: number, atol: number, batch: number): number;
  values(y: V): ArrayLike<number>;
  /** `y + a·v`. */
  axpy(y: V, a: number, v: V): V;
  /** Rows `[m, N]` = weights `[m, R]` · dense rows `[R, N]`. */
  interp(dense: D, weights: Float32Array, m: number): V;
  denseRows(dense: D): number;
  clone(y: V): V;
  dispose(v: V | undefined): void;
  disposeDense(d: D): void;
  /** Stacks saved blocks (each `[m, N]`, flat on the host) into one `[nSaved, N]` tensor (the caller owns it). */
  finish(blocks: V[], n?: number): tf.Tensor2D | undefined;
  denseToTensor(d: D): tf.Tensor2D;
}

/** Tensors end to end: every op can be recorded by a gradient tape. */
export function tensorEngine(f: RowField, solver: AbstractSolver): Engine<tf.Tensor2D, tf.Tensor2D> {
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
    denseRows: (d) => d.shape[0],
    clone: (y) => tf.clone(y),
    dispose: (v) => v?.dispose(),
    disposeDense: (d) => d.dispose(),
    finish: (blocks) => {
      if (blocks.length === 0) return undefined;
      if (blocks.length === 1) return blocks[0];
      const out = tf.concat(blocks, 0) as tf.Tensor2D;
      for (const b of blocks) b.dispose();
      return out;
    },
    denseToTensor: (d) => d,
  };
}

export type HostVec = Float64Array | Float32Array;

/** Host arrays: only the vector field runs tensor ops; nothing is recorded for gradients. */
export function hostEngine(f: HostField, solver: AbstractSolver): Engine<HostVec, HostDense> {
  const stepHost = solver.stepHost;
  const completeHost = solver.completeDenseHost;
  if (stepHost === undefined || completeHost === undefined) {
    throw new Error(`solver '${solver.name}' has no host step; use the tensor engine.`);
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
        const ks: Float32Array[] = [];
        for (let q = 1; q < r; q++) {
          const c = w[j * r + q] as number;
          if (c === 0) continue;
          cs.push(c);
          ks.push(dense.k[q - 1] as Float32Array);
        }
        combineInto(out.subarray(j * N, (j + 1) * N), N, w[j * r] as number, dense.y0, cs, ks);
      }
      return out;
    },
    denseRows: (d) => d.k.length + 1,
    clone: (y) => Float64Array.from(y),
    dispose: () => {},
    disposeDense: () => {},
    finish: (blocks, n) => {
      if (blocks.length === 0) return undefined;
      const total = blocks.reduce((a, b) => a + b.length, 0);
      // the first block may hold several saved rows (an interpolated step): use the state size
      const N = n ?? (blocks[0] as HostVec).length;
      const all = new Float32Array(total);
      let off = 0;
      for (const b of blocks) {
        all.set(b, off);
        off += b.length;
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

import * as tf from '@tensorflow/tfjs-core';
import type { HostDense } from './solver.js';

/** What the forward pass keeps for step k: its state (float64 as hi + lo float32 rows) and maybe its stages. */
export interface Checkpoint {
  readonly step: number;
  /** `[2 + stages, N]`: rows y_hi, y_lo, then the stage values (when kept). */
  readonly rows: tf.Tensor2D;
  readonly hasStages: boolean;
}

export function splitHiLo(y: Float64Array): Float32Array {
  const n = y.length;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const hi = Math.fround(y[i] as number);
    out[i] = hi;
    out[n + i] = (y[i] as number) - hi;
  }
  return out;
}

export function joinHiLo(a: Float32Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = (a[i] as number) + (a[n + i] as number);
  return y;
}

/**
 * Keeps step checkpoints as float32 tensors (so memory shows in `tf.memory()`): the state as
 * hi + lo rows (float64 to ~1e-14) and, while every step is kept, its stage values.
 */
export class CheckpointStore {
  private readonly byStep = new Map<number, Checkpoint>();
  private stride = 1;
  constructor(
    readonly capacity: number | undefined,
    private readonly n: number,
  ) {}

  /** The steps that have a checkpoint, ascending. */
  steps(): number[] {
    return [...this.byStep.keys()].sort((a, b) => a - b);
  }

  /** Keeps the state at `step` (thinned mode: only at the current stride). */
  put(step: number, y: Float64Array): void {
    if (step % this.stride !== 0 && step !== 0) return;
    this.byStep.set(step, { step, rows: tf.tensor2d(splitHiLo(y), [2, this.n]), hasStages: false });
    if (this.capacity !== undefined && this.byStep.size > this.capacity) {
      this.stride *= 2;
      for (const [s, c] of this.byStep) {
        if (s !== 0 && s % this.stride !== 0) {
          c.rows.dispose();
          this.byStep.delete(s);
        }
      }
    }
  }

  /** Keeps step `step` whole: its start state `dense.y0` and its stage values (every-step mode). */
  putWithStages(step: number, dense: HostDense): void {
    this.byStep.get(step)?.rows.dispose();
    this.byStep.set(step, { step, rows: this.withStages(splitHiLo(dense.y0), dense), hasStages: true });
  }

  private withStages(hiLo: Float32Array, dense: HostDense): tf.Tensor2D {
    const all = new Float32Array((2 + dense.k.length) * this.n);
    all.set(hiLo, 0);
    dense.k.forEach((k, q) => {
      all.set(k, (2 + q) * this.n);
    });
    return tf.tensor2d(all, [2 + dense.k.length, this.n]);
  }

  /** The nearest checkpoint at or before `step`. */
  nearest(step: number): Checkpoint {
    for (let s = step; s >= 0; s--) {
      const c = this.byStep.get(s);
      if (c) return c;
    }
    throw new Error(`checkpoint store: no checkpoint at or before step ${step}`);
  }

  state(c: Checkpoint): Float64Array {
    return joinHiLo(c.rows.dataSync() as Float32Array, this.n);
  }

  stages(c: Checkpoint): Float32Array[] | undefined {
    if (!c.hasStages) return undefined;
    const all = c.rows.dataSync() as Float32Array;
    const out: Float32Array[] = [];
    for (let q = 2; q < c.rows.shape[0]; q++) out.push(all.subarray(q * this.n, (q + 1) * this.n));
    return out;
  }

  get size(): number {
    return this.byStep.size;
  }

  /** The checkpoint tensors in step order (what the forward pass hands to `save`). */
  tensors(): tf.Tensor2D[] {
    return this.steps().map((s) => (this.byStep.get(s) as Checkpoint).rows);
  }

  /** Points the checkpoints at the storage's saved copies (same order as {@link tensors}). */
  rebind(saved: tf.Tensor[]): void {
    this.steps().forEach((s, i) => {
      const c = this.byStep.get(s) as Checkpoint;
      this.byStep.set(s, { ...c, rows: saved[i] as tf.Tensor2D });
    });
  }
}

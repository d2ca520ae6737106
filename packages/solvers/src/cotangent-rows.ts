import { type Tree, treeFlatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { IntegrateOutput, OutputSource } from './integrate.js';
import { type StateLayout, savedLayout } from './packing.js';

/** Cotangent leaves `[nSaved, ...shape]` → rows `[nSaved, N]` in the packed layout. */
export function cotangentRows(layout: StateLayout, dy: Tree<tf.Tensor>, n: number): tf.Tensor2D {
  const leaves = treeFlatten<tf.Tensor>(dy).leaves;
  if (leaves.length === 1) return tf.reshape(leaves[0] as tf.Tensor, [n, layout.size]);
  const parts = leaves.map((l, i) => tf.reshape(l, [n, layout.batch, layout.sampleSizes[i] as number]));
  return tf.reshape(tf.concat(parts, 2), [n, layout.size]);
}

/**
 * The cotangent of a solve's saved values as host rows: `[nSaved, N]`, or `[nSaved, W]` with
 * `saveAt({ sampleTs })` (see {@link rowSpan}).
 */
export function savedCotangents(layout: StateLayout, dy: Tree<tf.Tensor>, out: IntegrateOutput): Float32Array {
  const perSample = out.sampleOffsets !== undefined;
  const rows = tf.tidy(() => cotangentRows(savedLayout(layout, perSample), dy, out.ts.length));
  const ct = (rows.dataSync() as Float32Array).slice();
  rows.dispose();
  return ct;
}

/** Where saved row `row`'s cotangent lies in the host rows (`at`, `n` values) and the state entries it is for (`col ..`). */
export interface RowSpan {
  readonly at: number;
  readonly col: number;
  readonly n: number;
}

/** The {@link RowSpan} of saved row `row` from `source` (N: state size, W: per-sample width). */
export function rowSpan(source: OutputSource, row: number, N: number, W: number): RowSpan {
  const sample = source.kind === 'end' ? undefined : source.sample;
  return sample === undefined ? { at: row * N, col: 0, n: N } : { at: row * W, col: sample * W, n: W };
}

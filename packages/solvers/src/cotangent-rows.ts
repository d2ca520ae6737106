import { type Tree, treeFlatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { StateLayout } from './packing.js';

/** Cotangent leaves `[nSaved, ...shape]` → rows `[nSaved, N]` in the packed layout. */
export function cotangentRows(layout: StateLayout, dy: Tree<tf.Tensor>, n: number): tf.Tensor2D {
  const leaves = treeFlatten<tf.Tensor>(dy).leaves;
  if (leaves.length === 1) return tf.reshape(leaves[0] as tf.Tensor, [n, layout.size]);
  const parts = leaves.map((l, i) => tf.reshape(l, [n, layout.batch, layout.sampleSizes[i] as number]));
  return tf.reshape(tf.concat(parts, 2), [n, layout.size]);
}

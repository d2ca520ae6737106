import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.gather(x, rows)` along axis 0 for rows that are distinct, with the gradient taken as one
 * `scatterND` instead of tfjs's `unsortedSegmentSum`, which on the cpu backend costs a pass over
 * the whole gradient per row of `x` (a batched solve saves `nSaved × batch` rows).
 *
 * Shapes: `x` `[n, d]`, `rows` `[p]` (int32 values in [0, n)) → `[p, d]`.
 */
export function gatherRows(x: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  const shape = x.shape;
  const f = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.gather(input, tf.tensor1d(rows, 'int32')),
    gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.tensor2d(rows, [rows.length, 1], 'int32'), dy, shape),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor2D;
}

import { engineGradients } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { RowField } from '../solver.js';
import { luFactor, luSolve } from './dense-lu.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import type { Blocks } from './jacobian.js';

/**
 * The row field read back to host arrays (for the Newton iterations of a taped step: their
 * values are constants to the tape), with exact state VJPs by the storage's gradients.
 */
export function hostViewOf(f: RowField, N: number): HostFieldWithVjp {
  const evaluate = (t: number, y: Float64Array): Float32Array => {
    let out = new Float32Array(0);
    tf.tidy(() => {
      out = (f(t, tf.tensor2d(Float32Array.from(y), [1, N])).dataSync() as Float32Array).slice();
    });
    return out;
  };
  const vjp = (t: number, y: Float64Array, ct: Float64Array): Float32Array => {
    const x = tf.tensor2d(Float32Array.from(y), [1, N]);
    const dy = tf.tensor2d(Float32Array.from(ct), [1, N]);
    const { value, grads } = engineGradients(() => f(t, x), [x], dy);
    const g = grads[0];
    const out = g === undefined ? new Float32Array(N) : (g.dataSync() as Float32Array).slice();
    tf.dispose([value, x, dy, ...grads.filter((v) => v !== undefined)]);
    return out;
  };
  return Object.assign(evaluate, { vjp });
}

/**
 * `(α·I − β·J)⁻ᵀ` per sample as a tensor `[batch, D, D]`, so that a row `[batch, 1, D]` times it
 * is `((α·I − β·J)⁻¹·v)ᵀ`: the linear solve a taped implicit step applies to its residual.
 * Returns undefined when a block is singular.
 */
export function inverseTransposed(
  J: Float64Array,
  alpha: number,
  beta: number,
  { batch, D }: Blocks,
): tf.Tensor3D | undefined {
  const DD = D * D;
  const lu = new Float64Array(batch * DD);
  for (let i = 0; i < lu.length; i++) lu[i] = -beta * (J[i] as number);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < D; i++) lu[b * DD + i * D + i] = (lu[b * DD + i * D + i] as number) + alpha;
  }
  const piv = new Int32Array(batch * D);
  const out = new Float32Array(batch * DD);
  const col = new Float64Array(D);
  for (let b = 0; b < batch; b++) {
    if (!luFactor(lu, D, piv, b * DD, b * D)) return undefined;
    for (let j = 0; j < D; j++) {
      col.fill(0);
      col[j] = 1;
      luSolve(lu, D, piv, col, b * DD, b * D, 0);
      // column j of the inverse is row j of the transposed inverse
      for (let i = 0; i < D; i++) out[b * DD + j * D + i] = col[i] as number;
    }
  }
  return tf.tensor3d(out, [batch, D, D]);
}

/** `M⁻¹·v` for a row `v` `[1, N]` and `M⁻ᵀ` from {@link inverseTransposed}. */
export function applyBlocks(v: tf.Tensor2D, invT: tf.Tensor3D, { batch, D }: Blocks): tf.Tensor2D {
  return tf.reshape(tf.matMul(tf.reshape(v, [batch, 1, D]), invT), [1, batch * D]);
}

/**
 * Runs `fn` without recording its tensor ops on an active gradient tape (inside the forward pass
 * of a `customGrad` op, where tfjs does not record): for values that are constants to the tape,
 * such as Newton iterates. `fn` must not take gradients itself, and tensors it makes do not
 * outlive it (return host values).
 */
export function offTape<T>(fn: () => T): T {
  let result: { value: T } | undefined;
  const run = tf.customGrad(((x: tf.Tensor) => {
    result = { value: fn() };
    return { value: tf.zerosLike(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const dummy = tf.scalar(0);
  const out = run(dummy);
  tf.dispose([dummy, out]);
  if (result === undefined) throw new Error('offTape: the function did not run.');
  return result.value;
}

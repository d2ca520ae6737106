import type { Tree } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';

/** A vector field `(t, y, args) → dy/dt`; `y` and the result share one pytree structure and shapes. */
export type VectorField<Y extends Tree<tf.Tensor> = Tree<tf.Tensor>, A = unknown> = (t: number, y: Y, args: A) => Y;

/** An ODE term `dy/dt = f(t, y, args)` (Diffrax's `ODETerm`). */
export interface OdeTerm<Y extends Tree<tf.Tensor> = Tree<tf.Tensor>, A = unknown> {
  readonly kind: 'ode';
  readonly vectorField: VectorField<Y, A>;
}

/**
 * Wraps a vector field `f(t, y, args)` as an ODE term. `t` is a JS number (float64); `y` is a
 * pytree of float32 tensors (leaves may carry a leading batch axis); whatever should get a
 * gradient goes in `args`, not in a closure.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { odeTerm } from '@odekit/solvers';
 * const term = odeTerm((t, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(tf.neg(args.k), y));
 * if (term.kind !== 'ode') throw new Error('bad');
 * ```
 */
export function odeTerm<Y extends Tree<tf.Tensor>, A = unknown>(vectorField: VectorField<Y, A>): OdeTerm<Y, A> {
  if (typeof vectorField !== 'function') {
    throw new Error(`odeTerm: 'vectorField' must be a function (t, y, args) => dy, got ${typeof vectorField}.`);
  }
  return Object.freeze({ kind: 'ode', vectorField });
}

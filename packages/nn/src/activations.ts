import * as tf from '@tensorflow/tfjs-core';

/** An elementwise activation: takes a tensor of any shape and returns one of the same shape. */
export type Activation = (x: tf.Tensor) => tf.Tensor;

const SQRT1_2 = Math.SQRT1_2;

/**
 * The activation table: names to elementwise functions, frozen data.
 *
 * `identity` x, `relu` max(x, 0), `tanh`, `sigmoid` 1/(1+e^-x), `softplus` log(1+e^x),
 * `silu` x·sigmoid(x) (Elfwing et al. 2018), `gelu` x·Φ(x) with the exact erf form
 * (Hendrycks & Gimpel 2016), `elu` (Clevert et al. 2016, α = 1), `sin`, `gaussian` exp(-x²).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ACTIVATIONS } from '@odekit/nn';
 * const y = ACTIVATIONS.relu(tf.tensor([-1, 2]));
 * if (y.arraySync().toString() !== '0,2' || !Object.isFrozen(ACTIVATIONS)) throw new Error('bad');
 * ```
 */
export const ACTIVATIONS = Object.freeze({
  identity: (x: tf.Tensor) => x,
  relu: (x: tf.Tensor) => tf.relu(x),
  tanh: (x: tf.Tensor) => tf.tanh(x),
  sigmoid: (x: tf.Tensor) => tf.sigmoid(x),
  softplus: (x: tf.Tensor) => tf.softplus(x),
  silu: (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x)),
  gelu: (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1)),
  elu: (x: tf.Tensor) => tf.elu(x),
  sin: (x: tf.Tensor) => tf.sin(x),
  gaussian: (x: tf.Tensor) => tf.exp(tf.neg(tf.square(x))),
} satisfies Record<string, Activation>);

/** The name of an activation in {@link ACTIVATIONS}. */
export type ActivationName = keyof typeof ACTIVATIONS;

/**
 * Looks up an activation by name, or passes a function through.
 *
 * @throws Error naming the argument and the known names when `name` is not in the table.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { getActivation } from '@odekit/nn';
 * const g = getActivation('gaussian')(tf.scalar(0));
 * if (g.arraySync() !== 1) throw new Error('bad');
 * ```
 */
export function getActivation(name: ActivationName | Activation, argName = 'activation'): Activation {
  if (typeof name === 'function') return name;
  const f = Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
  if (f === undefined) {
    throw new Error(
      `'${argName}' must be one of ${Object.keys(ACTIVATIONS).join(', ')} or a function, got ${JSON.stringify(name)}.`,
    );
  }
  return f;
}

import { createRng } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/** A source of uniform floats in [0, 1), e.g. `createRng(0).nextFloat` or `mulberry32(5679)`. */
export type UniformSource = () => number;

/**
 * Resolves the `seed`/`random` options of a layer to one uniform source.
 *
 * @throws Error when `random` is given but is not a function.
 */
export function uniformSource(seed: number, random: UniformSource | undefined): UniformSource {
  if (random === undefined) return createRng(seed).nextFloat;
  if (typeof random !== 'function') {
    throw new Error(
      `'random' must be a function returning floats in [0, 1) (e.g. mulberry32(0)), got ${typeof random}.`,
    );
  }
  return random;
}

/**
 * The default initialiser of PyTorch and Equinox: U(−s/√fanIn, s/√fanIn) with `s = scale`,
 * values drawn in row-major order from `random`. A small `scale` (e.g. 1e-3) starts a learnt
 * correction term near zero.
 *
 * Shapes: returns a float32 tensor of `shape`.
 *
 * @throws Error when `fanIn` is not a positive integer or `scale` is negative or not finite.
 * @example
 * ```ts
 * import { uniformFanIn } from '@odekit/nn';
 * import { mulberry32 } from '@odekit/core';
 * const w = uniformFanIn([3, 4], 4, mulberry32(1));
 * const max = Math.max(...(w.dataSync() as Float32Array).map(Math.abs));
 * if (w.shape.join() !== '3,4' || max > 0.5) throw new Error('bad');
 * ```
 */
export function uniformFanIn(shape: number[], fanIn: number, random: UniformSource, scale = 1): tf.Tensor {
  if (!Number.isInteger(fanIn) || fanIn < 1) {
    throw new Error(`uniformFanIn: 'fanIn' must be a positive integer, got ${fanIn}.`);
  }
  if (!(Number.isFinite(scale) && scale >= 0)) {
    throw new Error(`uniformFanIn: 'scale' must be a finite number >= 0, got ${scale}; use 1 for the default.`);
  }
  const bound = scale / Math.sqrt(fanIn);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = -bound + 2 * bound * random();
  return tf.tensor(values, shape, 'float32');
}

/**
 * A float32 tensor of zeros (the `'zeros'` initialiser).
 *
 * @example
 * ```ts
 * import { zerosInit } from '@odekit/nn';
 * if (zerosInit([2]).arraySync().toString() !== '0,0') throw new Error('bad');
 * ```
 */
export function zerosInit(shape: number[]): tf.Tensor {
  return tf.zeros(shape, 'float32');
}

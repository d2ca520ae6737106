import type { TensorTree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkRange,
  type GradientTransformation,
  type LearningRate,
  mapLeaves,
  tidy,
  toSchedule,
} from './transform.js';

/** State of {@link rmsprop}. */
export type RmspropState = { count: number; nu: TensorTree; trace: TensorTree };

/** Options of {@link rmsprop}. */
export interface RmspropOptions {
  /** Step size or schedule (default 1e-2). */
  learningRate?: LearningRate;
  /** Decay of the mean square (default 0.9). */
  decay?: number;
  /** Added to the root mean square (default 1e-8). */
  eps?: number;
  /** Momentum on the scaled step (default 0). */
  momentum?: number;
}

/**
 * RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5): `ν ← d·ν + (1−d)·g²`, update
 * `−lr·g/(√ν + eps)`, with optional momentum on the scaled step (as PyTorch).
 *
 * @throws Error naming the option when a hyper-parameter is out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { rmsprop } from '@odekit/train';
 * const opt = rmsprop({ learningRate: 0.01, decay: 0.9 });
 * const p = { x: tf.tensor([1]) };
 * const [u] = opt.update({ x: tf.tensor([2]) }, opt.init(p), p) as [{ x: tf.Tensor }, unknown];
 * // ν = 0.1·4, update = −0.01·2/√0.4
 * if (Math.abs((u.x.dataSync()[0] ?? 0) + 0.01 * 2 / Math.sqrt(0.4)) > 1e-6) throw new Error('bad');
 * ```
 */
export function rmsprop(options: RmspropOptions = {}): GradientTransformation<RmspropState> {
  const { learningRate = 1e-2, decay = 0.9, eps = 1e-8, momentum = 0 } = options;
  const schedule = toSchedule(learningRate, 'rmsprop');
  checkRange('rmsprop', 'decay', decay, 0, 1);
  checkRange('rmsprop', 'eps', eps, 0, Number.POSITIVE_INFINITY);
  checkRange('rmsprop', 'momentum', momentum, 0, 1);
  return {
    init: (params) => ({
      count: 0,
      nu: mapLeaves(tf.zerosLike, params),
      trace: momentum > 0 ? mapLeaves(tf.zerosLike, params) : {},
    }),
    update(grads, state) {
      const lr = schedule(state.count);
      return tidy(() => {
        const c = tf.scalar(1 - decay);
        const e = tf.scalar(eps);
        const neg = tf.scalar(-lr);
        const nu = mapLeaves((g, v) => tf.add(v, tf.mul(tf.sub(tf.square(g), v), c)), grads, state.nu);
        const scaled = mapLeaves((g, v) => tf.div(g, tf.add(tf.sqrt(v), e)), grads, nu);
        let trace: TensorTree = {};
        let step = scaled;
        if (momentum > 0) {
          const mu = tf.scalar(momentum);
          trace = mapLeaves((s, b) => tf.add(s, tf.mul(b, mu)), scaled, state.trace);
          step = trace;
        }
        const updates = mapLeaves((s) => tf.mul(s, neg), step);
        return [updates, { count: state.count + 1, nu, trace }];
      });
    },
  };
}

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

/** State of {@link sgd}: the step count and the momentum trace (`{}` without momentum). */
export type SgdState = { count: number; trace: TensorTree };

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Step size or schedule (required). */
  learningRate: LearningRate;
  /** Heavy-ball momentum μ in [0, 1) (default 0: plain gradient descent). */
  momentum?: number;
  /** Nesterov's accelerated variant (default false). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent, optionally with heavy-ball momentum (Polyak 1964) or Nesterov
 * momentum (Sutskever et al. 2013), as PyTorch and Optax: `v ← g + μ·v`, update `−lr·v`
 * (Nesterov: `−lr·(g + μ·v)`).
 *
 * @throws Error naming the option when a hyper-parameter is out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sgd } from '@odekit/train';
 * const opt = sgd({ learningRate: 0.5 });
 * const p = { x: tf.tensor([1]) };
 * const [u] = opt.update({ x: tf.tensor([2]) }, opt.init(p), p) as [{ x: tf.Tensor }, unknown];
 * if (u.x.dataSync()[0] !== -1) throw new Error('bad');
 * ```
 */
export function sgd(options: SgdOptions): GradientTransformation<SgdState> {
  const { learningRate, momentum = 0, nesterov = false } = options ?? ({} as SgdOptions);
  const schedule = toSchedule(learningRate, 'sgd');
  checkRange('sgd', 'momentum', momentum, 0, 1);
  if (nesterov && momentum === 0) throw new Error("sgd: 'nesterov' needs 'momentum' > 0.");
  return {
    init: (params) => ({ count: 0, trace: momentum > 0 ? mapLeaves(tf.zerosLike, params) : {} }),
    update(grads, state) {
      const lr = schedule(state.count);
      return tidy(() => {
        const neg = tf.scalar(-lr);
        if (momentum === 0) return [mapLeaves((g) => tf.mul(g, neg), grads), { count: state.count + 1, trace: {} }];
        const mu = tf.scalar(momentum);
        const trace = mapLeaves((g, v) => tf.add(g, tf.mul(v, mu)), grads, state.trace);
        const updates = nesterov
          ? mapLeaves((g, v) => tf.mul(tf.add(g, tf.mul(v, mu)), neg), grads, trace)
          : mapLeaves((v) => tf.mul(v, neg), trace);
        return [updates, { count: state.count + 1, trace }];
      });
    },
  };
}

import { portablePow, type TensorTree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkRange,
  type GradientTransformation,
  type LearningRate,
  mapLeaves,
  tidy,
  toSchedule,
} from './transform.js';

/** State of {@link adabelief}: the step count, the first moment and the "belief" `s`. */
export type AdabeliefState = { count: number; mu: TensorTree; s: TensorTree };

/** Options of {@link adabelief} (Optax's defaults). */
export interface AdabeliefOptions {
  /** Step size or schedule (default 1e-3). */
  learningRate?: LearningRate;
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the belief (default 0.999). */
  b2?: number;
  /** Added to √ŝ (default 1e-16). */
  eps?: number;
  /** Added to `s` at every step (default 1e-16). */
  epsRoot?: number;
}

/**
 * AdaBelief (Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in
 * Observed Gradients", Algorithm 2): like Adam but the second moment is the variance of the
 * gradient around its running mean, `s ← b2·s + (1−b2)·(g − m)² + epsRoot`; update
 * `−lr·m̂/(√ŝ + eps)`. Diffrax's neural-ODE example trains with it.
 *
 * @throws Error naming the option when a hyper-parameter is out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { adabelief } from '@odekit/train';
 * const opt = adabelief({ learningRate: 0.1 });
 * const p = { x: tf.tensor([1]) };
 * const [u] = opt.update({ x: tf.tensor([5]) }, opt.init(p), p) as [{ x: tf.Tensor }, unknown];
 * // first step: m = 0.5, s = 0.001·(5 − 0.5)², so m̂ = 5, √ŝ = 4.5
 * if (Math.abs((u.x.dataSync()[0] ?? 0) + (0.1 * 5) / 4.5) > 1e-6) throw new Error('bad');
 * ```
 */
export function adabelief(options: AdabeliefOptions = {}): GradientTransformation<AdabeliefState> {
  const { learningRate = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16 } = options;
  const schedule = toSchedule(learningRate, 'adabelief');
  checkRange('adabelief', 'b1', b1, 0, 1);
  checkRange('adabelief', 'b2', b2, 0, 1);
  checkRange('adabelief', 'eps', eps, 0, Number.POSITIVE_INFINITY);
  checkRange('adabelief', 'epsRoot', epsRoot, 0, Number.POSITIVE_INFINITY);
  return {
    init: (params) => ({ count: 0, mu: mapLeaves(tf.zerosLike, params), s: mapLeaves(tf.zerosLike, params) }),
    update(grads, state) {
      const t = state.count + 1;
      const lr = schedule(state.count);
      return tidy(() => {
        const c1 = tf.scalar(1 - b1);
        const c2 = tf.scalar(1 - b2);
        const er = tf.scalar(epsRoot);
        const step = tf.scalar(-lr / (1 - portablePow(b1, t)));
        const rsq = tf.scalar(1 / Math.sqrt(1 - portablePow(b2, t)));
        const e = tf.scalar(eps);
        const mu = mapLeaves((g, m) => tf.add(m, tf.mul(tf.sub(g, m), c1)), grads, state.mu);
        const s = mapLeaves(
          (g, m, v) => tf.add(tf.add(v, tf.mul(tf.sub(tf.square(tf.sub(g, m)), v), c2)), er),
          grads,
          mu,
          state.s,
        );
        const updates = mapLeaves((m, v) => tf.div(tf.mul(m, step), tf.add(tf.mul(tf.sqrt(v), rsq), e)), mu, s);
        return [updates, { count: t, mu, s }];
      });
    },
  };
}

import { disposeTree, type TensorTree, treeLeaves } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkRange,
  type GradientTransformation,
  type LearningRate,
  mapLeaves,
  type OptState,
  tidy,
  toSchedule,
} from './transform.js';

/**
 * Runs transformations one after another (Optax's `chain`); the state is the array of their
 * states. Intermediate updates are disposed.
 *
 * @throws Error when an argument is not a gradient transformation.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { chain, clipByGlobalNorm, sgd } from '@odekit/train';
 * const opt = chain(clipByGlobalNorm(1), sgd({ learningRate: 1 }));
 * const p = { x: tf.tensor([0, 0]) };
 * const [u] = opt.update({ x: tf.tensor([3, 4]) }, opt.init(p), p) as [{ x: tf.Tensor }, unknown];
 * if (Math.abs((u.x.dataSync()[0] ?? 0) + 0.6) > 1e-6) throw new Error('bad');
 * ```
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation<OptState[]> {
  transforms.forEach((t, i) => {
    if (t === null || typeof t !== 'object' || typeof t.init !== 'function' || typeof t.update !== 'function') {
      throw new Error(`chain: argument #${i} is not a gradient transformation ({ init, update }).`);
    }
  });
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update(updates, state, params) {
      let current = updates;
      const states: OptState[] = [];
      transforms.forEach((t, i) => {
        const [next, s] = t.update(current, state[i] as OptState, params);
        if (current !== updates) disposeTree(current);
        current = next;
        states.push(s);
      });
      if (current === updates) current = mapLeaves(tf.clone, updates);
      return [current, states];
    },
  };
}

/** A stateless transformation from a leafwise map that may use shared scalars. */
function stateless(
  f: (updates: TensorTree, params: TensorTree | undefined) => TensorTree,
): GradientTransformation<Record<string, never>> {
  return { init: () => ({}), update: (updates, _state, params) => [f(updates, params), {}] };
}

/**
 * Scales the updates so that their global L2 norm is at most `maxNorm` (Pascanu et al. 2013,
 * "On the difficulty of training recurrent neural networks"): `g·maxNorm/max(‖g‖, maxNorm)`.
 * No value is read back (no sync).
 *
 * @throws Error when `maxNorm` is not a positive number.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipByGlobalNorm } from '@odekit/train';
 * const clip = clipByGlobalNorm(5);
 * const [u] = clip.update([tf.tensor([30]), tf.tensor([40])], clip.init([])) as [tf.Tensor[], unknown];
 * if (Math.abs((u[1]?.dataSync()[0] ?? 0) - 4) > 1e-5) throw new Error('bad');
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  checkRange('clipByGlobalNorm', 'maxNorm', maxNorm, Number.MIN_VALUE, Number.POSITIVE_INFINITY);
  return stateless((updates) =>
    tidy(() => {
      const leaves = treeLeaves<tf.Tensor>(updates);
      if (leaves.length === 0) return mapLeaves(tf.clone, updates);
      const norm = tf.sqrt(tf.addN(leaves.map((g) => tf.sum(tf.square(g)))));
      const m = tf.scalar(maxNorm);
      const factor = tf.div(m, tf.maximum(norm, m));
      return mapLeaves((g) => tf.mul(g, factor), updates);
    }),
  );
}

/**
 * Adds `weightDecay·params` to the updates (Optax's `add_decayed_weights`); place it before the
 * learning-rate scaling for decoupled weight decay. Wrap it in `masked` to limit it to some leaves.
 *
 * @throws Error when `weightDecay` is negative or `update` gets no `params`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { addDecayedWeights } from '@odekit/train';
 * const t = addDecayedWeights(0.1);
 * const p = { w: tf.tensor([10]) };
 * const [u] = t.update({ w: tf.tensor([1]) }, t.init(p), p) as [{ w: tf.Tensor }, unknown];
 * if (u.w.dataSync()[0] !== 2) throw new Error('bad');
 * ```
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation<Record<string, never>> {
  checkRange('addDecayedWeights', 'weightDecay', weightDecay, 0, Number.POSITIVE_INFINITY);
  return stateless((updates, params) => {
    if (params === undefined) throw new Error("addDecayedWeights: needs 'params'; call update(grads, state, params).");
    return tidy(() => {
      const wd = tf.scalar(weightDecay);
      return mapLeaves((u, p) => tf.add(u, tf.mul(p, wd)), updates, params);
    });
  });
}

/**
 * Multiplies the updates by `−learningRate` (a number or schedule of the step count): the last
 * link of a chain built from `scaleBy…` pieces.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { scaleByLearningRate } from '@odekit/train';
 * const t = scaleByLearningRate(0.5);
 * const [u] = t.update([tf.tensor([2])], t.init([])) as [tf.Tensor[], unknown];
 * if (u[0]?.dataSync()[0] !== -1) throw new Error('bad');
 * ```
 */
export function scaleByLearningRate(learningRate: LearningRate): GradientTransformation<{ count: number }> {
  const schedule = toSchedule(learningRate, 'scaleByLearningRate');
  return {
    init: () => ({ count: 0 }),
    update(updates, state) {
      const lr = schedule(state.count);
      const out = tidy(() => {
        const s = tf.scalar(-lr);
        return mapLeaves((u) => tf.mul(u, s), updates);
      });
      return [out, { count: state.count + 1 }];
    },
  };
}

/**
 * Sets every update to zero: the transformation of frozen parameters (Optax's `set_to_zero`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { setToZero } from '@odekit/train';
 * const [u] = setToZero().update([tf.tensor([2])], {}) as [tf.Tensor[], unknown];
 * if (u[0]?.dataSync()[0] !== 0) throw new Error('bad');
 * ```
 */
export function setToZero(): GradientTransformation<Record<string, never>> {
  return stateless((updates) => mapLeaves(tf.zerosLike, updates));
}

/**
 * Passes the updates through unchanged (as new tensors).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { identity } from '@odekit/train';
 * const [u] = identity().update([tf.tensor([2])], {}) as [tf.Tensor[], unknown];
 * if (u[0]?.dataSync()[0] !== 2) throw new Error('bad');
 * ```
 */
export function identity(): GradientTransformation<Record<string, never>> {
  return stateless((updates) => mapLeaves(tf.clone, updates));
}

/**
 * Adds `updates` to `params` leafwise (Optax's `apply_updates`). Returns a new tree; the caller
 * owns it and still owns (and may dispose) `params` and `updates`.
 *
 * @throws Error naming the path when the trees differ in structure.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { applyUpdates } from '@odekit/train';
 * const p = applyUpdates({ w: tf.tensor([1]) }, { w: tf.tensor([-0.5]) }) as { w: tf.Tensor };
 * if (p.w.dataSync()[0] !== 0.5) throw new Error('bad');
 * ```
 */
export function applyUpdates<T extends TensorTree>(params: T, updates: TensorTree): T {
  return mapLeaves(tf.add, params, updates) as T;
}

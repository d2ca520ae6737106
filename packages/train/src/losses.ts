import { type TensorTree, type Tree, treeMap } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { tidy } from './transform.js';

/** Options of the tree losses. */
export interface LossOptions {
  /**
   * Weights broadcast against each leaf (a tree like the targets, of tensors or numbers; or one
   * number for all). The loss is `Σ w·e / Σ w` over the entries that count.
   */
  weights?: Tree<tf.Tensor | number> | number;
  /** A tree like the targets of 0/1 tensors: 1 where an entry counts. */
  mask?: TensorTree;
  /** Treat NaN in the targets as missing values (default true). */
  nanAsMissing?: boolean;
}

type Elementwise = (diff: tf.Tensor) => tf.Tensor;

/**
 * Whether `t` may hold NaN: on the cpu and wasm backends its values are read and scanned (a
 * cheap sync there), elsewhere `true` without reading (a sync on webgl costs more than the
 * masking ops it would save).
 */
function mayHoldNaN(t: tf.Tensor): boolean {
  const backend = tf.getBackend();
  if ((backend !== 'cpu' && backend !== 'wasm') || t.dtype !== 'float32') return true;
  const v = t.dataSync() as Float32Array;
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i] as number)) return true;
  return false;
}

function treeLoss(fn: string, err: Elementwise, pred: TensorTree, target: TensorTree, options: LossOptions): tf.Scalar {
  const { weights, mask, nanAsMissing = true } = options;
  return tidy(() => {
    const per = (p: tf.Tensor, t: tf.Tensor, w: tf.Tensor | number | undefined, m: tf.Tensor | undefined) => {
      if (!(p instanceof tf.Tensor) || !(t instanceof tf.Tensor)) {
        throw new Error(`${fn}: 'prediction' and 'target' must be trees of tensors.`);
      }
      let valid: tf.Tensor | undefined = m === undefined ? undefined : tf.cast(m, 'float32');
      let diff = tf.sub(p, t);
      // targets without NaN (scanned on the host on cpu/wasm) skip the masking ops
      if (nanAsMissing && mayHoldNaN(t)) {
        const ok = tf.logicalNot(tf.isNaN(t));
        diff = tf.where(ok, diff, tf.zerosLike(diff));
        valid = valid === undefined ? tf.cast(ok, 'float32') : tf.mul(valid, tf.cast(ok, 'float32'));
      }
      let e = err(diff);
      let count: tf.Tensor =
        valid !== undefined ? tf.broadcastTo(valid, e.shape) : w === undefined ? tf.scalar(e.size) : tf.onesLike(e);
      if (valid !== undefined) e = tf.mul(e, valid);
      if (w !== undefined) {
        e = tf.mul(e, w);
        count = tf.mul(count, w);
      }
      return [tf.sum(e), tf.sum(count)];
    };
    const wTree =
      weights === undefined || typeof weights === 'number'
        ? treeMap<unknown, unknown>(() => weights, target)
        : (weights as Tree<tf.Tensor | number>);
    const mTree = mask === undefined ? treeMap<unknown, unknown>(() => undefined, target) : mask;
    const sums: tf.Tensor[] = [];
    const counts: tf.Tensor[] = [];
    treeMap(
      (p: unknown, t: unknown, w: unknown, m: unknown) => {
        const [e, c] = per(
          p as tf.Tensor,
          t as tf.Tensor,
          w as tf.Tensor | number | undefined,
          m as tf.Tensor | undefined,
        );
        sums.push(e as tf.Tensor);
        counts.push(c as tf.Tensor);
        return null;
      },
      pred as Tree<unknown>,
      target as Tree<unknown>,
      wTree as Tree<unknown>,
      mTree as Tree<unknown>,
    );
    if (sums.length === 0) throw new Error(`${fn}: the trees have no leaves.`);
    const total = sums.length === 1 ? (sums[0] as tf.Tensor) : tf.addN(sums);
    const n = counts.length === 1 ? (counts[0] as tf.Tensor) : tf.addN(counts);
    return tf.div(total, tf.maximum(n, 1e-30)) as tf.Scalar;
  });
}

/**
 * Mean squared error over trees: `Σ w·(pred − target)² / Σ w` over all entries of all leaves
 * that count (NaN targets and zeros of `mask` do not). Returns a scalar.
 *
 * Shapes: `prediction` and `target` share structure; leaves broadcast against each other.
 *
 * @throws Error when the trees differ in structure.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { mse } from '@odekit/train';
 * const l = mse({ a: tf.tensor([1, 2, 3]) }, { a: tf.tensor([1, NaN, 5]) });
 * if (l.dataSync()[0] !== 2) throw new Error('bad'); // (0 + 4) / 2
 * ```
 */
export function mse(prediction: TensorTree, target: TensorTree, options: LossOptions = {}): tf.Scalar {
  return treeLoss('mse', (d) => tf.square(d), prediction, target, options);
}

/**
 * Mean absolute error over trees (see {@link mse} for weights, masks and NaN).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { mae } from '@odekit/train';
 * const l = mae([tf.tensor([1, 2])], [tf.tensor([2, 0])], { weights: [tf.tensor([1, 3])] });
 * if (Math.abs((l.dataSync()[0] ?? 0) - 7 / 4) > 1e-6) throw new Error('bad');
 * ```
 */
export function mae(prediction: TensorTree, target: TensorTree, options: LossOptions = {}): tf.Scalar {
  return treeLoss('mae', (d) => tf.abs(d), prediction, target, options);
}

/**
 * Huber loss over trees (Huber 1964): `½d²` for `|d| ≤ delta`, `delta·(|d| − ½delta)` beyond;
 * see {@link mse} for weights, masks and NaN.
 *
 * @throws Error when `delta` is not positive.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { huber } from '@odekit/train';
 * const l = huber(tf.tensor([0, 0]), tf.tensor([0.5, 3]), { delta: 1 });
 * if (Math.abs((l.dataSync()[0] ?? 0) - (0.125 + 2.5) / 2) > 1e-6) throw new Error('bad');
 * ```
 */
export function huber(
  prediction: TensorTree,
  target: TensorTree,
  options: LossOptions & { delta?: number } = {},
): tf.Scalar {
  const { delta = 1, ...rest } = options;
  if (!(Number.isFinite(delta) && delta > 0))
    throw new Error(`huber: 'delta' must be a positive number, got ${delta}.`);
  return treeLoss(
    'huber',
    (d) => {
      const a = tf.abs(d);
      const q = tf.minimum(a, delta);
      return tf.add(tf.mul(tf.square(q), 0.5), tf.mul(tf.sub(a, q), delta));
    },
    prediction,
    target,
    rest,
  );
}

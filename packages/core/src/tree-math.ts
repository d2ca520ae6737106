import * as tf from '@tensorflow/tfjs-core';
import type { TensorTree } from './memory.js';
import { treeLeaves, treeMapWithPath } from './tree.js';

/**
 * Applies `f` leafwise over pytrees of one structure inside one `tf.tidy`, checking that every
 * leaf is a tensor; the error names the function, the argument and the leaf path.
 */
function leafwise<T extends TensorTree>(
  fn: string,
  names: readonly string[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  ...trees: TensorTree[]
): T {
  return tf.tidy(
    () =>
      treeMapWithPath(
        (path, ...xs: unknown[]) => {
          xs.forEach((x, k) => {
            if (!(x instanceof tf.Tensor)) {
              throw new Error(
                `${fn}: leaf '${path || '<root>'}' of '${names[k]}' is ${x === null ? 'null' : typeof x}, not a tf.Tensor; every leaf must be a tensor.`,
              );
            }
          });
          return f(...(xs as tf.Tensor[]));
        },
        ...(trees as [TensorTree, ...TensorTree[]]),
      ) as tf.TensorContainer,
  ) as T;
}

/**
 * Leafwise `a + b` for two pytrees of one structure. Returns a new tree (caller owns it).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeAdd } from '@odekit/core';
 * const s = treeAdd({ w: tf.tensor([1, 2]) }, { w: tf.tensor([3, 4]) }) as { w: tf.Tensor };
 * if (s.w.arraySync().toString() !== '4,6') throw new Error('bad');
 * ```
 */
export function treeAdd<T extends TensorTree>(a: T, b: T): T {
  return leafwise('treeAdd', ['a', 'b'], tf.add, a, b);
}

/**
 * Leafwise `a - b` for two pytrees of one structure.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeSub } from '@odekit/core';
 * const d = treeSub([tf.scalar(3)], [tf.scalar(1)]) as tf.Tensor[];
 * if (d[0]?.arraySync() !== 2) throw new Error('bad');
 * ```
 */
export function treeSub<T extends TensorTree>(a: T, b: T): T {
  return leafwise('treeSub', ['a', 'b'], tf.sub, a, b);
}

/**
 * Leafwise `s * a` for a number (or scalar tensor) `s`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeScale } from '@odekit/core';
 * const t = treeScale({ a: tf.tensor([1, -2]) }, 3) as { a: tf.Tensor };
 * if (t.a.arraySync().toString() !== '3,-6') throw new Error('bad');
 * ```
 */
export function treeScale<T extends TensorTree>(a: T, s: number | tf.Scalar): T {
  return leafwise('treeScale', ['a'], (x) => tf.mul(x, s), a);
}

/**
 * Leafwise `alpha * x + y` (BLAS axpy).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeAxpy } from '@odekit/core';
 * const r = treeAxpy(2, [tf.tensor([1])], [tf.tensor([5])]) as tf.Tensor[];
 * if (r[0]?.arraySync().toString() !== '7') throw new Error('bad');
 * ```
 */
export function treeAxpy<T extends TensorTree>(alpha: number | tf.Scalar, x: T, y: T): T {
  return leafwise('treeAxpy', ['x', 'y'], (xi, yi) => tf.add(tf.mul(xi, alpha), yi), x, y);
}

/**
 * Sum over all leaves of the elementwise product: the inner product of two pytrees. Returns a
 * scalar tensor.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeDot } from '@odekit/core';
 * const d = treeDot({ a: tf.tensor([1, 2]), b: tf.scalar(3) }, { a: tf.tensor([3, 4]), b: tf.scalar(2) });
 * if (d.arraySync() !== 17) throw new Error('bad');
 * ```
 */
export function treeDot(a: TensorTree, b: TensorTree): tf.Scalar {
  return tf.tidy(() => {
    const parts = treeLeaves<tf.Tensor>(leafwise('treeDot', ['a', 'b'], (x, y) => tf.sum(tf.mul(x, y)), a, b));
    return parts.length === 0 ? tf.scalar(0) : (tf.addN(parts) as tf.Scalar);
  });
}

/**
 * The global L2 norm of a pytree: `sqrt(Σ over leaves of Σ x²)`. Returns a scalar tensor.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeNorm } from '@odekit/core';
 * const n = treeNorm([tf.tensor([3]), { b: tf.tensor([4]) }]);
 * if (Math.abs((n.arraySync() as number) - 5) > 1e-6) throw new Error('bad');
 * ```
 */
export function treeNorm(a: TensorTree): tf.Scalar {
  return tf.tidy(() => {
    const parts = treeLeaves<tf.Tensor>(leafwise('treeNorm', ['a'], (x) => tf.sum(tf.square(x)), a));
    return tf.sqrt(parts.length === 0 ? tf.scalar(0) : tf.addN(parts)) as tf.Scalar;
  });
}

/**
 * A pytree of zeros shaped like `a` (same dtype per leaf).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeZerosLike } from '@odekit/core';
 * const z = treeZerosLike({ w: tf.ones([2, 3]) }) as { w: tf.Tensor };
 * if (z.w.shape.join() !== '2,3' || z.w.sum().arraySync() !== 0) throw new Error('bad');
 * ```
 */
export function treeZerosLike<T extends TensorTree>(a: T): T {
  return leafwise('treeZerosLike', ['a'], tf.zerosLike, a);
}

/**
 * Casts every leaf to `dtype`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { treeCast } from '@odekit/core';
 * const c = treeCast([tf.tensor([1.7], undefined, 'float32')], 'int32') as tf.Tensor[];
 * if (c[0]?.dtype !== 'int32') throw new Error('bad');
 * ```
 */
export function treeCast<T extends TensorTree>(a: T, dtype: tf.DataType): T {
  return leafwise('treeCast', ['a'], (x) => tf.cast(x, dtype), a);
}

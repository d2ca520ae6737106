import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeLeaves, treeMap } from './tree.js';

/** A pytree whose leaves are tensors. */
export type TensorTree = Tree<tf.Tensor>;

/**
 * Runs `fn` in a `tf.tidy` scope and keeps every tensor of the pytree it returns; all other
 * tensors made inside are disposed. The caller owns the result.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { tidyTree, disposeTree } from '@odekit/core';
 * const before = tf.memory().numTensors;
 * const out = tidyTree(() => ({ a: tf.ones([2]).mul(2), b: [tf.zeros([3]).add(1)] }));
 * if (tf.memory().numTensors !== before + 2) throw new Error('tidyTree kept intermediates');
 * disposeTree(out);
 * ```
 */
export function tidyTree<T extends TensorTree>(fn: () => T): T {
  let result: T | undefined;
  tf.tidy(() => {
    result = fn();
    for (const leaf of treeLeaves<tf.Tensor>(result)) {
      if (leaf instanceof tf.Tensor) tf.keep(leaf);
    }
  });
  return result as T;
}

/**
 * Disposes every tensor leaf of a pytree (non-tensor leaves are ignored).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { disposeTree } from '@odekit/core';
 * const t = { w: tf.ones([2, 2]), lr: 0.1 };
 * disposeTree(t);
 * if (!t.w.isDisposed) throw new Error('not disposed');
 * ```
 */
export function disposeTree(tree: Tree<unknown> | undefined | null): void {
  if (tree == null) return;
  for (const leaf of treeLeaves<unknown>(tree)) {
    if (leaf instanceof tf.Tensor && !leaf.isDisposed) leaf.dispose();
  }
}

/**
 * Marks every tensor leaf as kept so an enclosing `tf.tidy` does not dispose it; returns the tree.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { keepTree, disposeTree } from '@odekit/core';
 * let kept: { a: tf.Tensor } | undefined;
 * tf.tidy(() => { kept = keepTree({ a: tf.ones([1]) }); });
 * if (kept === undefined || kept.a.isDisposed) throw new Error('disposed');
 * disposeTree(kept);
 * ```
 */
export function keepTree<T extends Tree<unknown>>(tree: T): T {
  for (const leaf of treeLeaves<unknown>(tree)) {
    if (leaf instanceof tf.Tensor) tf.keep(leaf);
  }
  return tree;
}

/**
 * Copies a pytree: each tensor leaf becomes a new tensor (owned by the caller), other leaves
 * are shared.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { cloneTree, disposeTree } from '@odekit/core';
 * const a = { w: tf.ones([2]) };
 * const b = cloneTree(a);
 * a.w.dispose();
 * if (b.w.isDisposed) throw new Error('clone shares storage lifetime');
 * disposeTree(b);
 * ```
 */
export function cloneTree<T extends Tree<unknown>>(tree: T): T {
  return treeMap((leaf: unknown) => (leaf instanceof tf.Tensor ? tf.clone(leaf) : leaf), tree) as T;
}

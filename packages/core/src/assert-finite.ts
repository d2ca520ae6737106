import * as tf from '@tensorflow/tfjs-core';
import { type Tree, treeMapWithPath } from './tree.js';

/**
 * Throws when any leaf of `tree` holds NaN or ±Infinity (numbers and tensors are checked;
 * other leaves are ignored). The message names the argument, the leaf path and the first bad
 * index. Reads each tensor once (a sync point).
 *
 * @throws Error like `y0: leaf 'rabbits' has NaN at index 3; pass finite values.`
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { assertFinite } from '@odekit/core';
 * assertFinite({ a: tf.tensor([1, 2]) }, 'y0');
 * let msg = '';
 * try { assertFinite({ a: tf.tensor([1, NaN]) }, 'y0'); } catch (e) { msg = (e as Error).message; }
 * if (!msg.includes("'a'")) throw new Error('path not named');
 * ```
 */
export function assertFinite(tree: Tree<tf.Tensor | number | unknown>, name: string): void {
  treeMapWithPath((path: string, leaf: unknown) => {
    let values: ArrayLike<number> | undefined;
    if (typeof leaf === 'number') values = [leaf];
    else if (leaf instanceof tf.Tensor) {
      if (leaf.isDisposed)
        throw new Error(`${name}: leaf '${path || '<root>'}' is a disposed tensor; pass live tensors.`);
      if (leaf.dtype === 'float32' || leaf.dtype === 'complex64') values = leaf.dataSync() as Float32Array;
    }
    if (values === undefined) return undefined;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isFinite(v)) {
        const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
        const where = path === '' ? 'the value' : `leaf '${path}'`;
        throw new Error(`${name}: ${where} has ${what} at index ${i}; pass finite values.`);
      }
    }
    return undefined;
  }, tree);
}

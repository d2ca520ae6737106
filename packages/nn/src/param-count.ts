import { type Tree, treeLeaves } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The number of scalar parameters in a tree: the sum of the sizes of its tensor leaves
 * (number leaves count one each).
 *
 * @example
 * ```ts
 * import { mlp, paramCount } from '@odekit/nn';
 * const net = mlp({ inSize: 2, outSize: 1, widthSize: 4, depth: 1 });
 * if (paramCount(net.params) !== 2 * 4 + 4 + 4 + 1) throw new Error('bad');
 * ```
 */
export function paramCount(params: Tree<tf.Tensor | number>): number {
  let n = 0;
  for (const leaf of treeLeaves<unknown>(params)) {
    if (leaf instanceof tf.Tensor) n += leaf.size;
    else if (typeof leaf === 'number') n += 1;
  }
  return n;
}

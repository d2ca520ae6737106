import { type Tree, treeFlatten, treeUnflatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/** The tensor leaves of `args` (what gets gradients) and a way to rebuild `args` around replacements. */
export function splitArgs(args: unknown): {
  tensors: tf.Tensor[];
  argsWith: (tensors: readonly tf.Tensor[]) => unknown;
} {
  // No args (or none that are tensors): the field gets exactly what the caller passed, as it
  // does without a tape (undefined stays undefined, so default parameters still apply).
  if (args === undefined || args === null) return { tensors: [], argsWith: () => args };
  const flat = treeFlatten<unknown>(args as Tree<unknown>);
  const idx = flat.leaves.flatMap((l, i) => (l instanceof tf.Tensor ? [i] : []));
  if (idx.length === 0) return { tensors: [], argsWith: () => args };
  return {
    tensors: idx.map((i) => flat.leaves[i] as tf.Tensor),
    argsWith: (tensors) => {
      const leaves = [...flat.leaves];
      idx.forEach((i, j) => {
        leaves[i] = tensors[j];
      });
      return treeUnflatten(flat.treedef, leaves);
    },
  };
}

/** Indices of the tensors that can take a gradient (float32). */
export function differentiable(tensors: readonly tf.Tensor[]): number[] {
  return tensors.flatMap((x, j) => (x.dtype === 'float32' ? [j] : []));
}

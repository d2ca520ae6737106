import {
  engineGradients,
  type HostFieldSession,
  hostKernelsOf,
  type Tree,
  treeFlatten,
  treeUnflatten,
} from '@odekit/core';
import { madeAfter } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { packHost, packRow, type StateLayout, unpackHost } from './packing.js';
import type { SolveProblem } from './problem.js';

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

/**
 * `v = J_y f(t, y)ᵀ·ct` on host arrays; adds `J_θ fᵀ·ct` into `argGrads`; passes `f(t, y)` to
 * `onValue` when given.
 */
export type FieldVjp = ((
  t: number,
  y: Float64Array,
  ct: Float64Array,
  argGrads: Float64Array[],
  onValue?: (f: Float32Array) => void,
) => Float32Array) & {
  /** Set when the field's host kernels take the VJPs (no tensors, no tape). */
  readonly host?: boolean;
  /**
   * With `deferArgGrads`: adds the args gradients the calls so far kept back into `argGrads`;
   * call it before reading them.
   */
  readonly flush?: (argGrads: Float64Array[]) => void;
};

/** Builds a {@link FieldVjp}: one taped evaluation of the vector field per call. */
/**
 * The host session of `field` for one solve, when it carries host kernels (an MLP's
 * `vectorField`, a `compileField` field) that cover this single-leaf state; else `undefined`.
 */
export function openHostSession(
  field: unknown,
  layout: StateLayout,
  args: unknown,
  argTensors: readonly tf.Tensor[],
  onFallback?: (reason: string) => void,
): HostFieldSession | undefined {
  const kernels = hostKernelsOf(field);
  if (kernels === undefined) return undefined;
  if (layout.shapes.length !== 1) {
    onFallback?.(`the state has ${layout.shapes.length} leaves; host fields take a single-leaf state`);
    return undefined;
  }
  return kernels.open(
    args,
    layout.shapes[0] as number[],
    argTensors,
    (leaf) => treeUnflatten(layout.treedef, [leaf]),
    onFallback,
  );
}

export function makeFieldVjp(
  problem: SolveProblem,
  argTensors: tf.Tensor[],
  args: unknown,
  options: { deferArgGrads?: boolean } = {},
): FieldVjp {
  const { layout } = problem;
  // Only float tensors are differentiated: an int32 leaf (say gather indices) is a constant and
  // keeps a zero gradient (tfjs refuses non-float gradients).
  const diff = differentiable(argTensors);
  // A field with host kernels (say an MLP's vectorField) takes its VJPs without tensors or tape.
  const session = openHostSession(problem.vectorField, layout, args, argTensors);
  if (session !== undefined && options.deferArgGrads === true && session.vjpDeferred && session.flushArgGrads) {
    // the caller sums every VJP into the same arrays: the session keeps the sums until flush
    const deferred = session.vjpDeferred.bind(session);
    const flush = session.flushArgGrads.bind(session);
    return Object.assign(
      (t: number, y: Float64Array, ct: Float64Array, _argGrads: Float64Array[], onValue?: (f: Float32Array) => void) =>
        deferred(t, y, ct, onValue),
      { host: true, flush },
    );
  }
  if (session !== undefined) {
    return Object.assign(
      (t: number, y: Float64Array, ct: Float64Array, argGrads: Float64Array[], onValue?: (f: Float32Array) => void) =>
        session.vjp(t, y, ct, argGrads, onValue),
      { host: true },
    );
  }
  return (t, y, ct, argGrads, onValue) => {
    const yTree = unpackHost(layout, y);
    const yLeaves = treeFlatten<tf.Tensor>(yTree).leaves;
    // One leaf: the cotangent takes the leaf's shape, so the tape needs no packing Reshape.
    const single = layout.shapes.length === 1;
    const dy = single
      ? tf.tensor(Float32Array.from(ct), layout.shapes[0] as number[], 'float32')
      : tf.tensor2d(Float32Array.from(ct), [1, layout.size]);
    const { value, grads } = engineGradients(
      () => {
        const out = problem.vectorField(t, yTree, args);
        return single ? (treeFlatten<tf.Tensor>(out).leaves[0] as tf.Tensor) : packRow(layout, out);
      },
      [...yLeaves, ...diff.map((j) => argTensors[j] as tf.Tensor)],
      dy,
    );
    const gy = yLeaves.map((leaf, i) => grads[i] ?? tf.zerosLike(leaf));
    const v = packHost(layout, treeUnflatten(layout.treedef, gy)).slice();
    diff.forEach((j, n) => {
      const g = grads[yLeaves.length + n];
      if (g === undefined) return;
      const gv = g.dataSync();
      const acc = argGrads[j] as Float64Array;
      for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (gv[i] as number);
    });
    if (onValue) onValue((value.dataSync() as Float32Array).slice());
    // The field may return a tensor it does not own (a leaf of args or y, a captured constant):
    // free the value only when the field made it (tensor ids grow; dy was made just before).
    if (madeAfter(value, dy)) value.dispose();
    dy.dispose();
    for (const g of grads) g?.dispose();
    for (const g of gy) if (!grads.includes(g)) g.dispose();
    for (const l of yLeaves) l.dispose();
    return v;
  };
}

/** Cotangent leaves `[nSaved, ...shape]` → rows `[nSaved, N]` in the packed layout. */
export function cotangentRows(layout: StateLayout, dy: Tree<tf.Tensor>, n: number): tf.Tensor2D {
  const leaves = treeFlatten<tf.Tensor>(dy).leaves;
  if (leaves.length === 1) return tf.reshape(leaves[0] as tf.Tensor, [n, layout.size]);
  const parts = leaves.map((l, i) => tf.reshape(l, [n, layout.batch, layout.sampleSizes[i] as number]));
  return tf.reshape(tf.concat(parts, 2), [n, layout.size]);
}

/** Indices of the tensors that can take a gradient (float32). */
export function differentiable(tensors: readonly tf.Tensor[]): number[] {
  return tensors.flatMap((x, j) => (x.dtype === 'float32' ? [j] : []));
}

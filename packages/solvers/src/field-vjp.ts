import { engineGradients, type FloatArray, treeFlatten, treeUnflatten } from '@odekit/core';
import { madeAfter } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { openHostSession } from './open-host-session.js';
import { packHost, packRow, unpackHost } from './packing.js';
import type { SolveProblem } from './problem.js';
import { differentiable } from './split-args.js';

/**
 * `v = J_y f(t, y)ᵀ·ct` on host arrays; adds `J_θ fᵀ·ct` into `argGrads`; passes `f(t, y)` to
 * `onValue` when given.
 */
export type FieldVjp = ((
  t: number,
  y: Float64Array,
  ct: Float64Array,
  argGrads: Float64Array[],
  onValue?: (f: FloatArray) => void,
) => FloatArray) & {
  /** Set when the field's host implementation takes the VJPs (no tensors, no tape). */
  readonly host?: boolean;
  /**
   * With `deferArgGrads`: adds the args gradients the calls so far kept back into `argGrads`;
   * call it before reading them.
   */
  readonly flush?: (argGrads: Float64Array[]) => void;
};

/** Builds a {@link FieldVjp}: one taped evaluation of the vector field per call. */
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
  // A field with a host implementation (say an MLP's vectorField) takes its VJPs without tensors or tape.
  const session = openHostSession(problem.vectorField, layout, args, argTensors, [problem.t0, problem.t1]);
  if (session !== undefined && options.deferArgGrads === true && session.vjpDeferred && session.flushArgGrads) {
    // the caller sums every VJP into the same arrays: the session keeps the sums until flush
    const deferred = session.vjpDeferred.bind(session);
    const flush = session.flushArgGrads.bind(session);
    return Object.assign(
      (t: number, y: Float64Array, ct: Float64Array, _argGrads: Float64Array[], onValue?: (f: FloatArray) => void) =>
        deferred(t, y, ct, onValue),
      { host: true, flush },
    );
  }
  if (session !== undefined) {
    return Object.assign(
      (t: number, y: Float64Array, ct: Float64Array, argGrads: Float64Array[], onValue?: (f: FloatArray) => void) =>
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

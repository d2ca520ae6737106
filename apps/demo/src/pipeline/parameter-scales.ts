import { type TensorTree, type Tree, treeFlatten, treeMapWithPath } from '@odekit/core';
import { adam, chain, type GradientTransformation } from '@odekit/train';
import * as tf from '@tensorflow/tfjs-core';

/** Magnitudes from this up to {@link MAGNITUDE_UP_TO} count as 1 (parameters of a few units are left as they are). */
export const MAGNITUDE_FROM = 0.2;
/** See {@link MAGNITUDE_FROM}. */
export const MAGNITUDE_UP_TO = 5;

/**
 * The order of magnitude of `x` as a power of ten (nearest in log scale: 0.01 for 0.00316–0.0316,
 * 10 for 5–31.6), or 1 when |x| is from {@link MAGNITUDE_FROM} to {@link MAGNITUDE_UP_TO}, zero or
 * not finite. Powers of ten come from multiplication, division and a correctly rounded square
 * root, so they are the same on every engine.
 */
export function magnitudeOf(x: number): number {
  const a = Math.abs(x);
  if (!(Number.isFinite(a) && a > 0) || (a >= MAGNITUDE_FROM && a <= MAGNITUDE_UP_TO)) return 1;
  const half = Math.sqrt(10);
  let s = 1;
  while (a >= s * half) s *= 10;
  while (a < s / half) s /= 10;
  return s;
}

/**
 * The scale of each leaf of `tree`: a scalar leaf named like one of `known` (the model's parameters
 * with the user's starting values) gets the magnitude of that value, another scalar leaf (a
 * constant of a found expression, a fitted initial state) the magnitude of its own value; a leaf
 * that is not a scalar (network weights, per-trajectory start corrections) gets 1.
 */
export function leafScales(tree: TensorTree, known: Readonly<Record<string, number>>): Tree<number> {
  return treeMapWithPath((path: string, leaf: tf.Tensor) => {
    if (leaf.rank !== 0) return 1;
    const name = path.slice(path.lastIndexOf('.') + 1);
    const v = Object.hasOwn(known, name) ? known[name] : (leaf.dataSync()[0] as number);
    return magnitudeOf(v as number);
  }, tree);
}

/** Whether every scale of `scales` is 1 (nothing to do). */
export function allOnes(scales: Tree<number>): boolean {
  return treeFlatten(scales).leaves.every((s) => s === 1);
}

/** `tree` with each leaf multiplied (`'mul'`) or divided (`'div'`) by its scale: new tensors the caller owns. */
export function applyScales<P extends TensorTree>(tree: P, scales: Tree<number>, op: 'mul' | 'div'): P {
  return tf.tidy(
    () =>
      treeMapWithPath(
        (_p: string, leaf: tf.Tensor | number, s: tf.Tensor | number) => {
          const t = leaf as tf.Tensor;
          const k = s as number;
          return k === 1 ? tf.clone(t) : op === 'mul' ? tf.mul(t, k) : tf.div(t, k);
        },
        tree as Tree<tf.Tensor | number>,
        scales,
      ) as unknown as tf.TensorContainer,
  ) as unknown as P;
}

/**
 * A gradient transformation that multiplies each leaf's update by its scale (`leafScales` of the
 * parameters it starts from): chained after Adam, a parameter of size 0.02 moves by steps of
 * 0.02·lr, as one of size 1 moves by lr — Adam's steps are the same size for every parameter,
 * whatever its units.
 */
export function scaleByMagnitude(
  known: Readonly<Record<string, number>>,
): GradientTransformation<{ scales: Tree<number> }> {
  return {
    init: (params) => ({ scales: leafScales(params, known) }),
    update: (updates, state) => [applyScales(updates, state.scales, 'mul'), state],
  };
}

/**
 * Adam at `learningRate` for a stage: with `parameterScales` on, chained with
 * {@link scaleByMagnitude} of the user's values (see `StageSettings.parameterScales`).
 */
export function stageAdam(
  ctx: {
    readonly settings: { readonly parameterScales: boolean };
    readonly userValues?: Readonly<Record<string, number>>;
  },
  learningRate: number,
): GradientTransformation {
  const base = adam({ learningRate });
  return ctx.settings.parameterScales ? chain(base, scaleByMagnitude(ctx.userValues ?? {})) : base;
}

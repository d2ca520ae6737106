import { type TensorTree, type Tree, treeMap } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/** An optimiser state: a pytree of tensors and plain numbers (e.g. a step count). */
export type OptState = Tree<tf.Tensor | number>;

/** A learning-rate schedule: the step count (0 for the first update) to a learning rate. */
export type Schedule = (count: number) => number;

/** A learning rate: a constant or a {@link Schedule}. */
export type LearningRate = number | Schedule;

/**
 * A gradient transformation (Optax's `GradientTransformation`): a pair of pure functions.
 *
 * - `init(params)` returns the initial state for a parameter tree.
 * - `update(updates, state, params)` returns `[newUpdates, newState]`. It borrows all three
 *   arguments (never disposes them) and returns only new tensors, which the caller owns.
 *
 * The final updates are *added* to the parameters (see `applyUpdates`), so a descent step
 * carries its own minus sign.
 */
export interface GradientTransformation<S extends OptState = OptState> {
  init(params: TensorTree): S;
  update(updates: TensorTree, state: S, params?: TensorTree): [TensorTree, S];
}

/** Checks a learning rate option and turns it into a schedule. */
export function toSchedule(lr: LearningRate, fn: string, name = 'learningRate'): Schedule {
  if (typeof lr === 'function') return lr;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) {
    throw new Error(
      `${fn}: '${name}' must be a finite number >= 0 or a schedule (count) => number, got ${String(lr)}.`,
    );
  }
  return () => lr;
}

/** Checks that a hyper-parameter is a finite number in [lo, hi). */
export function checkRange(fn: string, name: string, v: number, lo: number, hi: number): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= lo && v < hi)) {
    throw new Error(`${fn}: '${name}' must be a number in [${lo}, ${hi}), got ${String(v)}.`);
  }
}

/** Maps `f` over tensor trees of one structure inside one tidy; the result tensors are new. */
export function mapLeaves(f: (...xs: tf.Tensor[]) => tf.Tensor, tree: TensorTree, ...rest: TensorTree[]): TensorTree {
  return tidy(() => treeMap<tf.Tensor, tf.Tensor>(f, tree, ...rest));
}

/** `tf.tidy` for any result type (trees, tuples with numbers): tensors in the result are kept. */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}

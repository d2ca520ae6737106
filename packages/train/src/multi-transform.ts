import { disposeTree, type TensorTree, treeFlatten, treeMapWithPath, treeUnflatten } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { identity, setToZero } from './combine.js';
import type { GradientTransformation, OptState } from './transform.js';

/** Which leaves a transformation touches: a predicate on the leaf path, e.g. `layers.0.weight`. */
export type PathPredicate = (path: string) => boolean;

/** Groups leaves by label: `{ [path]: leaf }` per label, plus the label of every leaf in order. */
function partition(
  tree: TensorTree,
  labelOf: (path: string) => string,
  known: ReadonlySet<string>,
): { groups: Map<string, Record<string, tf.Tensor>>; labels: string[]; paths: string[] } {
  const groups = new Map<string, Record<string, tf.Tensor>>();
  for (const l of known) groups.set(l, {});
  const labels: string[] = [];
  const paths: string[] = [];
  treeMapWithPath((path: string, leaf: tf.Tensor) => {
    const label = labelOf(path);
    if (!known.has(label)) {
      throw new Error(
        `multiTransform: leaf '${path}' has label ${JSON.stringify(label)}, which has no transformation; use one of ${[...known].map((k) => `'${k}'`).join(', ')}.`,
      );
    }
    (groups.get(label) as Record<string, tf.Tensor>)[path] = leaf;
    labels.push(label);
    paths.push(path);
    return null;
  }, tree);
  return { groups, labels, paths };
}

/**
 * Applies a different transformation to each group of leaves (Optax's `multi_transform`):
 * `labels(path)` names the group of every leaf. Each transformation sees a flat tree
 * `{ [path]: leaf }` of its leaves only (so `clipByGlobalNorm` inside one group uses that
 * group's norm), and its state is kept under its label. Freezing is `setToZero()` for a group.
 *
 * @throws Error naming the leaf when its label has no transformation.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { multiTransform, sgd, setToZero } from '@odekit/train';
 * const opt = multiTransform({ train: sgd({ learningRate: 1 }), frozen: setToZero() },
 *   (path) => (path.startsWith('physics') ? 'frozen' : 'train'));
 * const p = { physics: tf.tensor([1]), net: tf.tensor([1]) };
 * const [u] = opt.update({ physics: tf.tensor([1]), net: tf.tensor([1]) }, opt.init(p), p) as [typeof p, unknown];
 * if (u.physics.dataSync()[0] !== 0 || u.net.dataSync()[0] !== -1) throw new Error('bad');
 * ```
 */
export function multiTransform(
  transforms: Readonly<Record<string, GradientTransformation>>,
  labels: (path: string) => string,
): GradientTransformation<Record<string, OptState>> {
  if (transforms === null || typeof transforms !== 'object') {
    throw new Error("multiTransform: 'transforms' must be an object { [label]: transformation }.");
  }
  if (typeof labels !== 'function') {
    throw new Error("multiTransform: 'labels' must be a function (path) => label.");
  }
  const known = new Set(Object.keys(transforms));
  const get = (label: string) => transforms[label] as GradientTransformation;
  return {
    init(params) {
      const { groups } = partition(params, labels, known);
      const state: Record<string, OptState> = {};
      for (const [label, group] of groups) state[label] = get(label).init(group);
      return state;
    },
    update(updates, state, params) {
      const u = partition(updates, labels, known);
      const p = params === undefined ? undefined : partition(params, labels, known).groups;
      const outByPath = new Map<string, tf.Tensor>();
      const newState: Record<string, OptState> = {};
      for (const [label, group] of u.groups) {
        const [out, s] = get(label).update(group, state[label] as OptState, p?.get(label));
        newState[label] = s;
        for (const path of Object.keys(group)) {
          const leaf = (out as Record<string, tf.Tensor>)[path];
          if (leaf === undefined) {
            disposeTree(out);
            throw new Error(`multiTransform: the '${label}' transformation dropped leaf '${path}'.`);
          }
          outByPath.set(path, leaf);
        }
      }
      const { treedef } = treeFlatten<tf.Tensor>(updates);
      return [
        treeUnflatten(
          treedef,
          u.paths.map((path) => outByPath.get(path) as tf.Tensor),
        ) as TensorTree,
        newState,
      ];
    },
  };
}

/**
 * Applies `inner` only to the leaves where `mask(path)` is true; the other updates pass through
 * unchanged (Optax's `masked`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { masked, addDecayedWeights } from '@odekit/train';
 * const t = masked(addDecayedWeights(1), (path) => path.endsWith('weight'));
 * const p = { weight: tf.tensor([2]), bias: tf.tensor([2]) };
 * const [u] = t.update({ weight: tf.tensor([0]), bias: tf.tensor([0]) }, t.init(p), p) as [typeof p, unknown];
 * if (u.weight.dataSync()[0] !== 2 || u.bias.dataSync()[0] !== 0) throw new Error('bad');
 * ```
 */
export function masked(
  inner: GradientTransformation,
  mask: PathPredicate,
): GradientTransformation<Record<string, OptState>> {
  return multiTransform({ inner, pass: identity() }, (path) => (mask(path) ? 'inner' : 'pass'));
}

/**
 * Freezes the leaves where `frozen(path)` is true (their updates are exactly zero) and applies
 * `inner` to the rest.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { freeze, sgd } from '@odekit/train';
 * const t = freeze(sgd({ learningRate: 1 }), (path) => path === 'a');
 * const p = { a: tf.tensor([2]), b: tf.tensor([2]) };
 * const [u] = t.update({ a: tf.tensor([1]), b: tf.tensor([1]) }, t.init(p), p) as [typeof p, unknown];
 * if (u.a.dataSync()[0] !== 0 || u.b.dataSync()[0] !== -1) throw new Error('bad');
 * ```
 */
export function freeze(
  inner: GradientTransformation,
  frozen: PathPredicate,
): GradientTransformation<Record<string, OptState>> {
  return multiTransform({ trainable: inner, frozen: setToZero() }, (path) => (frozen(path) ? 'frozen' : 'trainable'));
}

import { portablePow, type TensorTree, treeFlatten, treeUnflatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkRange,
  type GradientTransformation,
  type LearningRate,
  mapLeaves,
  tidy,
  toSchedule,
} from './transform.js';

/** State of {@link adam}/{@link adamw}: the step count and the two moment trees. */
export type AdamState = { count: number; mu: TensorTree; nu: TensorTree };

/** Options of {@link adam}. */
export interface AdamOptions {
  /** Step size or schedule (default 1e-3). */
  learningRate?: LearningRate;
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to √v̂ in the denominator (default 1e-8). */
  eps?: number;
}

/** Options of {@link adamw}. */
export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ: the update gets `−lr·λ·params` (default 1e-4). */
  weightDecay?: number;
}

function makeAdam(fn: string, options: AdamWOptions, decoupled: boolean): GradientTransformation<AdamState> {
  const { learningRate = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = decoupled ? 1e-4 : 0 } = options;
  const schedule = toSchedule(learningRate, fn);
  checkRange(fn, 'b1', b1, 0, 1);
  checkRange(fn, 'b2', b2, 0, 1);
  checkRange(fn, 'eps', eps, 0, Number.POSITIVE_INFINITY);
  checkRange(fn, 'weightDecay', weightDecay, 0, Number.POSITIVE_INFINITY);
  return {
    init: (params) => ({ count: 0, mu: mapLeaves(tf.zerosLike, params), nu: mapLeaves(tf.zerosLike, params) }),
    update(grads, state, params) {
      if (weightDecay > 0 && params === undefined) {
        throw new Error(`${fn}: weight decay needs 'params'; call update(grads, state, params).`);
      }
      const t = state.count + 1;
      const lr = schedule(state.count);
      const host = adamOnHost(grads, state, weightDecay > 0 ? (params as TensorTree) : undefined, {
        c1: 1 - b1,
        c2: 1 - b2,
        step: -lr / (1 - portablePow(b1, t)),
        rsq: 1 / Math.sqrt(1 - portablePow(b2, t)),
        eps,
        wd: -lr * weightDecay,
      });
      if (host !== undefined) return [host.updates, { count: t, mu: host.mu, nu: host.nu }];
      return tidy(() => {
        // Scalars built once per update and shared by every leaf.
        const c1 = tf.scalar(1 - b1);
        const c2 = tf.scalar(1 - b2);
        const step = tf.scalar(-lr / (1 - portablePow(b1, t)));
        const rsq = tf.scalar(1 / Math.sqrt(1 - portablePow(b2, t)));
        const e = tf.scalar(eps);
        const mu = mapLeaves((g, m) => tf.add(m, tf.mul(tf.sub(g, m), c1)), grads, state.mu);
        const nu = mapLeaves((g, v) => tf.add(v, tf.mul(tf.sub(tf.square(g), v), c2)), grads, state.nu);
        const wd = tf.scalar(-lr * weightDecay);
        const updates =
          weightDecay > 0
            ? mapLeaves(
                (m, v, p) => tf.add(tf.div(tf.mul(m, step), tf.add(tf.mul(tf.sqrt(v), rsq), e)), tf.mul(p, wd)),
                mu,
                nu,
                params as TensorTree,
              )
            : mapLeaves((m, v) => tf.div(tf.mul(m, step), tf.add(tf.mul(tf.sqrt(v), rsq), e)), mu, nu);
        return [updates, { count: t, mu, nu }];
      });
    },
  };
}

/** Adam's per-update constants, each used as a float32 scalar as the tensor ops use them. */
export interface AdamConstants {
  c1: number;
  c2: number;
  step: number;
  rsq: number;
  eps: number;
  wd: number;
}

/**
 * The Adam update on host arrays, one loop per leaf, with every operation rounded to float32
 * in the order of the tensor ops (so the result is bit for bit theirs): for the cpu and wasm
 * backends, where ~12 tensor ops per leaf cost more than the arithmetic. `undefined` (the
 * caller then uses tensor ops) on other backends, for non-float32 leaves or trees of different
 * structures.
 */
export function adamOnHost(
  grads: TensorTree,
  state: { mu: TensorTree; nu: TensorTree },
  params: TensorTree | undefined,
  k: AdamConstants,
): { updates: TensorTree; mu: TensorTree; nu: TensorTree } | undefined {
  const backend = tf.getBackend();
  if (backend !== 'cpu' && backend !== 'wasm') return undefined;
  const g = treeFlatten<tf.Tensor>(grads);
  const m = treeFlatten<tf.Tensor>(state.mu);
  const v = treeFlatten<tf.Tensor>(state.nu);
  const p = params === undefined ? undefined : treeFlatten<tf.Tensor>(params);
  const trees = p === undefined ? [m, v] : [m, v, p];
  if (!trees.every((x) => x.treedef.equals(g.treedef))) return undefined;
  const ok = (t: unknown, like: tf.Tensor) =>
    t instanceof tf.Tensor && t.dtype === 'float32' && !t.isDisposed && t.size === like.size;
  for (let j = 0; j < g.leaves.length; j++) {
    const gj = g.leaves[j] as tf.Tensor;
    if (!ok(gj, gj) || !trees.every((x) => ok(x.leaves[j], gj))) return undefined;
  }
  const f = Math.fround;
  const c1 = f(k.c1);
  const c2 = f(k.c2);
  const step = f(k.step);
  const rsq = f(k.rsq);
  const eps = f(k.eps);
  const wd = f(k.wd);
  const mus: tf.Tensor[] = [];
  const nus: tf.Tensor[] = [];
  const ups: tf.Tensor[] = [];
  g.leaves.forEach((gt, j) => {
    const gv = gt.dataSync() as Float32Array;
    const mv = (m.leaves[j] as tf.Tensor).dataSync() as Float32Array;
    const vv = (v.leaves[j] as tf.Tensor).dataSync() as Float32Array;
    const pv = p === undefined ? undefined : ((p.leaves[j] as tf.Tensor).dataSync() as Float32Array);
    const n = gv.length;
    const mo = new Float32Array(n);
    const vo = new Float32Array(n);
    const uo = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const gi = gv[i] as number;
      const mi = f((mv[i] as number) + f(f(gi - (mv[i] as number)) * c1));
      const vi = f((vv[i] as number) + f(f(f(gi * gi) - (vv[i] as number)) * c2));
      let u = f(f(mi * step) / f(f(f(Math.sqrt(vi)) * rsq) + eps));
      if (pv !== undefined) u = f(u + f((pv[i] as number) * wd));
      mo[i] = mi;
      vo[i] = vi;
      uo[i] = u;
    }
    mus.push(tf.tensor(mo, gt.shape, 'float32'));
    nus.push(tf.tensor(vo, gt.shape, 'float32'));
    ups.push(tf.tensor(uo, gt.shape, 'float32'));
  });
  return {
    updates: treeUnflatten(g.treedef, ups) as TensorTree,
    mu: treeUnflatten(g.treedef, mus) as TensorTree,
    nu: treeUnflatten(g.treedef, nus) as TensorTree,
  };
}

/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1):
 * `m ← b1·m + (1−b1)·g`, `v ← b2·v + (1−b2)·g²`, update `−lr·m̂/(√v̂ + eps)` with the bias
 * corrections `m̂ = m/(1−b1ᵗ)`, `v̂ = v/(1−b2ᵗ)` folded into two scalars. On the cpu and wasm backends
 * the update runs as one host loop per leaf (bit for bit the tensor ops' float32 results);
 * elsewhere about 12 tensor ops per leaf.
 *
 * Shapes: updates and moments have the shapes of the gradients.
 *
 * @throws Error naming the option when a hyper-parameter is out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { adam, applyUpdates } from '@odekit/train';
 * const opt = adam({ learningRate: 0.1 });
 * const params = { x: tf.tensor([1, -2]) };
 * const state = opt.init(params);
 * const [updates] = opt.update({ x: tf.tensor([3, -0.5]) }, state, params);
 * // the first Adam step is −lr·sign(g) (up to eps)
 * const next = applyUpdates(params, updates) as { x: tf.Tensor };
 * if (Math.abs((next.x.dataSync()[0] ?? 0) - 0.9) > 1e-6) throw new Error('bad');
 * ```
 */
export function adam(options: AdamOptions = {}): GradientTransformation<AdamState> {
  return makeAdam('adam', { ...options, weightDecay: 0 }, false);
}

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled Weight Decay
 * Regularization"): update `−lr·(m̂/(√v̂ + eps) + λ·params)`. Needs `params` in `update`.
 *
 * @throws Error naming the option when a hyper-parameter is out of range, or when `update` gets
 *   no `params`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { adamw } from '@odekit/train';
 * const opt = adamw({ learningRate: 0.1, weightDecay: 0.5 });
 * const params = { x: tf.tensor([2]) };
 * const [u] = opt.update({ x: tf.tensor([0]) }, opt.init(params), params) as [{ x: tf.Tensor }, unknown];
 * if (Math.abs((u.x.dataSync()[0] ?? 0) + 0.1) > 1e-6) throw new Error('decay');
 * ```
 */
export function adamw(options: AdamWOptions = {}): GradientTransformation<AdamState> {
  return makeAdam('adamw', options, true);
}

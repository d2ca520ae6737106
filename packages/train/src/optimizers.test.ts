import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adamOnHost } from './adam.js';
import {
  type AdamState,
  adabelief,
  adam,
  adamw,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  freeze,
  type GradientTransformation,
  masked,
  multiTransform,
  type OptState,
  rmsprop,
  scaleByLearningRate,
  setToZero,
  sgd,
} from './index.js';

type P = { x: tf.Tensor };
const quadratic = (p: P) =>
  tf.tidy(() => tf.sum(tf.mul(tf.tensor([0.5, 5, 1]), tf.square(tf.sub(p.x, tf.tensor([1, -2, 3])))))) as tf.Scalar;
const rosenbrock = (p: P) =>
  tf.tidy(() => {
    const a = p.x.slice(0, 1);
    const b = p.x.slice(1, 1);
    return tf.sum(tf.add(tf.square(tf.sub(1, a)), tf.mul(100, tf.square(tf.sub(b, tf.square(a))))));
  }) as tf.Scalar;

function minimise(opt: GradientTransformation, f: (p: P) => tf.Scalar, x0: number[], steps: number): number[] {
  let p: P = { x: tf.tensor(x0) };
  let s: OptState = opt.init(p);
  const vg = valueAndGrad(f);
  for (let i = 0; i < steps; i++) {
    const next = tf.tidy(() => {
      const { grads } = vg(p);
      const [u, ns] = opt.update(grads, s, p);
      return { p: applyUpdates(p, u), s: ns } as unknown as tf.TensorContainer;
    }) as unknown as { p: P; s: OptState };
    disposeTree([p, s]);
    p = next.p;
    s = next.s;
  }
  const x = Array.from(p.x.dataSync());
  disposeTree([p, s]);
  return x;
}

// One conformance table over every optimiser: [name, transformation, quadratic steps, Rosenbrock steps].
const CASES: [string, () => GradientTransformation, number, number][] = [
  ['sgd', () => sgd({ learningRate: 0.15 }), 200, 0],
  ['sgd momentum', () => sgd({ learningRate: 1e-3, momentum: 0.9 }), 0, 2500],
  ['sgd nesterov', () => sgd({ learningRate: 1e-3, momentum: 0.9, nesterov: true }), 0, 2500],
  ['adam', () => adam({ learningRate: 2e-2 }), 800, 3000],
  ['adamw', () => adamw({ learningRate: 2e-2, weightDecay: 0 }), 800, 3000],
  ['adabelief', () => adabelief({ learningRate: 2e-2 }), 800, 3000],
  ['rmsprop', () => rmsprop({ learningRate: 1e-3, momentum: 0.9 }), 1500, 2500],
  ['clip + sgd momentum', () => chain(clipByGlobalNorm(10), sgd({ learningRate: 1e-3, momentum: 0.9 })), 0, 2500],
];

describe('optimiser conformance', () => {
  for (const [name, make, quadSteps, rosenSteps] of CASES) {
    if (quadSteps > 0) {
      it(`${name} minimises a convex quadratic`, () => {
        expect(minimise(make(), quadratic, [0, 0, 0], quadSteps)).toBeAllclose([1, -2, 3], { atol: 2e-3 });
      });
    }
    if (rosenSteps > 0) {
      it(`${name} minimises the Rosenbrock function`, () => {
        expect(minimise(make(), rosenbrock, [-1.2, 1], rosenSteps)).toBeAllclose([1, 1], { atol: 2e-2 });
      });
    }
  }
});

describe('hand-computed updates', () => {
  it("Adam's first three updates match Kingma & Ba's Algorithm 1 in float64", () => {
    const lr = 0.1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const gs = [
      [0.5, -2],
      [0.1, 1],
      [-0.3, 0.2],
    ];
    const opt = adam({ learningRate: lr });
    let state: OptState = opt.init({ x: tf.zeros([2]) });
    const m = [0, 0];
    const v = [0, 0];
    gs.forEach((g, k) => {
      const t = k + 1;
      const expected = g.map((gi, i) => {
        m[i] = b1 * (m[i] as number) + (1 - b1) * gi;
        v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        const mh = (m[i] as number) / (1 - b1 ** t);
        const vh = (v[i] as number) / (1 - b2 ** t);
        return (-lr * mh) / (Math.sqrt(vh) + eps);
      });
      const grads = { x: tf.tensor(g) };
      const [u, s] = opt.update(grads, state as AdamState, grads);
      expect((u as P).x).toBeAllclose(expected, { rtol: 1e-5 });
      disposeTree([grads, u, state]);
      state = s;
    });
    disposeTree(state);
  });
  it("Adam's host loop equals its tensor ops bit for bit (with and without decoupled decay), and declines other trees", () => {
    const u = (n: number, seed: number) =>
      Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 3);
    const tree = (seed: number, positive = false) => ({
      a: tf.tensor2d(
        u(12, seed).map((x) => (positive ? Math.abs(x) : x)),
        [3, 4],
      ),
      b: tf.tensor1d(u(5, seed + 1).map((x) => (positive ? Math.abs(x) : x))),
    });
    const g = tree(1);
    const mu = tree(2);
    const nu = tree(3, true);
    const p = tree(4);
    const k = {
      c1: 0.1,
      c2: 0.001,
      step: -0.3 / (1 - 0.9 ** 3),
      rsq: 1 / Math.sqrt(1 - 0.999 ** 3),
      eps: 1e-8,
      wd: -3e-5,
    };
    for (const params of [undefined, p]) {
      const host = adamOnHost(g, { mu, nu }, params, params === undefined ? { ...k, wd: 0 } : k);
      if (host === undefined) throw new Error('host path declined');
      const s = (x: number) => tf.scalar(x);
      const want = tf.tidy(() => {
        const out: Record<string, number[][]> = {};
        for (const key of ['a', 'b'] as const) {
          const m1 = tf.add(mu[key], tf.mul(tf.sub(g[key], mu[key]), s(k.c1)));
          const v1 = tf.add(nu[key], tf.mul(tf.sub(tf.square(g[key]), nu[key]), s(k.c2)));
          let up = tf.div(tf.mul(m1, s(k.step)), tf.add(tf.mul(tf.sqrt(v1), s(k.rsq)), s(k.eps)));
          if (params !== undefined) up = tf.add(up, tf.mul(params[key], s(k.wd)));
          out[key] = [m1, v1, up].map((t) => Array.from(t.dataSync()));
        }
        return out;
      });
      const got = (tr: unknown, key: 'a' | 'b') => Array.from((tr as Record<string, tf.Tensor>)[key]?.dataSync() ?? []);
      for (const key of ['a', 'b'] as const) {
        expect([got(host.mu, key), got(host.nu, key), got(host.updates, key)]).toEqual(want[key]);
      }
      disposeTree([host.mu, host.nu, host.updates]);
    }
    // another structure or an int32 leaf: the tensor ops take it (and name the mismatch)
    expect(adamOnHost({ a: g.a }, { mu, nu }, undefined, k)).toBeUndefined();
    const gi = { a: tf.zeros([3, 4], 'int32'), b: g.b };
    expect(adamOnHost(gi, { mu, nu }, undefined, k)).toBeUndefined();
    disposeTree([g, mu, nu, p, gi]);
  });
  it('sgd momentum and Nesterov follow their recurrences', () => {
    const g = { x: tf.tensor([1]) };
    for (const [nesterov, expected] of [
      [false, [-1, -1.5, -1.75]],
      [true, [-1.5, -1.75, -1.875]],
    ] as const) {
      const opt = sgd({ learningRate: 1, momentum: 0.5, nesterov });
      let s = opt.init(g);
      for (const e of expected) {
        const [u, ns] = opt.update(g, s);
        expect((u as P).x.dataSync()[0]).toBeCloseTo(e, 6);
        disposeTree([u, s]);
        s = ns;
      }
      disposeTree(s);
    }
    disposeTree(g);
  });
  it('addDecayedWeights + scaleByLearningRate make decoupled decay; masks route leaves', () => {
    const p = { w: tf.tensor([2]), b: tf.tensor([2]) };
    const g = { w: tf.tensor([1]), b: tf.tensor([1]) };
    const opt = chain(
      masked(addDecayedWeights(0.5), (path) => path === 'w'),
      scaleByLearningRate(0.1),
    );
    const [u, s] = opt.update(g, opt.init(p), p);
    expect((u as typeof p).w).toBeAllclose([-0.2], { rtol: 1e-6 });
    expect((u as typeof p).b).toBeAllclose([-0.1], { rtol: 1e-6 });
    const fr = freeze(adam({ learningRate: 1 }), (path) => path === 'b');
    const [u2, s2] = fr.update(g, fr.init(p), p);
    expect((u2 as typeof p).b.dataSync()[0]).toBe(0);
    expect(() => multiTransform({ a: setToZero() }, () => 'z').init(p)).toThrow(
      /leaf 'b' has label "z", which has no transformation; use one of 'a'/,
    );
    expect(() => adam({ b1: 1 })).toThrow(/adam: 'b1' must be a number in \[0, 1\)/);
    expect(() => sgd({ learningRate: -1 })).toThrow(/sgd: 'learningRate' must be a finite number >= 0/);
    expect(() => adamw().update(g, adamw().init(p))).toThrow(/weight decay needs 'params'/);
    disposeTree([p, g, u, s, u2, s2]);
  });
  it('clipByGlobalNorm leaves small updates alone and scales large ones to maxNorm', () => {
    const clip = clipByGlobalNorm(10);
    const [small] = clip.update({ a: tf.tensor([3]), b: tf.tensor([4]) }, {});
    expect(small).toBeAllclose({ a: [3], b: [4] }, { rtol: 1e-6 });
    const [big] = clip.update({ a: tf.tensor([30]), b: tf.tensor([40]) }, {});
    expect(big).toBeAllclose({ a: [6], b: [8] }, { rtol: 1e-6 });
  });
  it('updates leak nothing and never dispose their inputs', async () => {
    const p = { a: tf.ones([3]), b: [tf.ones([2, 2])] };
    const g = { a: tf.ones([3]), b: [tf.ones([2, 2])] };
    for (const [, make] of CASES) {
      const opt = make();
      await expectNoLeak(() => {
        const s0 = opt.init(p);
        const [u, s1] = opt.update(g, s0, p);
        const [u2, s2] = opt.update(g, s1, p);
        disposeTree([s0, u, s1, u2, s2]);
      });
    }
    expect(p.a.isDisposed || g.a.isDisposed).toBe(false);
    disposeTree([p, g]);
  });
});

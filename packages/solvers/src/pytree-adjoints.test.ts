import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { pidController } from './controllers.js';
import { type DiffeqsolveOptions, diffeqsolve } from './diffeqsolve.js';
import { heun, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

// A two-leaf pytree state { a: [B, 2], b: [[B, 1, 3]] }, autonomous and mapping over the batch
// axis (so batchStages applies), with a number leaf mixed into args.
type Y = { a: tf.Tensor; b: tf.Tensor[] };
type A = { w: tf.Tensor; c: number; s: { k: tf.Tensor } };
const field = (_t: number, y: Y, args: A): Y =>
  tf.tidy(() => {
    const b0 = y.b[0] as tf.Tensor;
    const lead = y.a.shape[0] as number;
    const a2 = tf.reshape(y.a, [lead, -1]);
    const b2 = tf.reshape(b0, [lead, -1]);
    const da = tf.add(tf.mul(tf.neg(args.s.k), a2), tf.mul(args.c, tf.sum(tf.tanh(b2), 1, true)));
    const db = tf.sub(tf.matMul(a2, args.w), tf.mul(0.3, b2));
    return { a: tf.reshape(da, y.a.shape), b: [tf.reshape(db, b0.shape)] };
  });

type Opts = Omit<DiffeqsolveOptions<Y, A>, 'term' | 't0' | 't1' | 'y0' | 'args' | 'adjoint'>;
function gradOf(adjoint: Adjoint, opts: Opts, reverse: boolean) {
  const params = {
    a: tf.tensor2d([
      [1, 0.5],
      [0.2, -1],
      [2, 1],
    ]),
    b: [tf.tensor3d([[[0.1, 0.2, 0.3]], [[0, -0.2, 1]], [[0.5, 0.5, 0.5]]])],
    w: tf.tensor2d([
      [0.1, 0.2, -0.3],
      [0.4, -0.1, 0.2],
    ]),
    k: tf.scalar(0.7),
  };
  const { value, grads } = valueAndGrad((p: typeof params) => {
    const sol = diffeqsolve({
      term: field,
      t0: 0,
      t1: reverse ? -1.3 : 1.3,
      y0: { a: p.a, b: p.b },
      args: { w: p.w, c: 0.5, s: { k: p.k } },
      adjoint,
      ...opts,
    });
    const ys = sol.ys as Y;
    const b = ys.b[0] as tf.Tensor;
    return tf.add(tf.sum(tf.square(ys.a)), tf.sum(tf.mul(b, tf.sin(b))));
  })(params);
  const out = {
    value: value.dataSync()[0] as number,
    grads: [grads.a, grads.b[0] as tf.Tensor, grads.w, grads.k].map((g) => Array.from(g.dataSync())),
  };
  disposeTree([value, grads, params]);
  return out;
}

const configs: [string, (reverse: boolean) => Opts][] = [
  [
    'tsit5, adaptive, saveAt t0 + ts + steps',
    (r) => ({
      solver: tsit5(),
      stepsizeController: pidController({ rtol: 1e-5, atol: 1e-6 }),
      saveat: saveAt({ t0: true, ts: r ? [-0.2, -0.7, -1.3] : [0.2, 0.7, 1.3], steps: true }),
    }),
  ],
  [
    'rk4, constant steps, ts + steps (Hermite f1 rows)',
    (r) => ({
      solver: rk4(),
      dt0: r ? -0.1 : 0.1,
      saveat: saveAt({ ts: r ? [0, -0.33, -1.25] : [0, 0.33, 1.25], steps: true }),
    }),
  ],
  [
    'heun, adaptive, ts (Hermite f1 rows)',
    (r) => ({
      solver: heun(),
      stepsizeController: pidController({ rtol: 1e-3, atol: 1e-5 }),
      saveat: saveAt({ ts: r ? [-0.05, -0.66, -1.3] : [0.05, 0.66, 1.3] }),
    }),
  ],
];
const adjoints: [string, () => Adjoint][] = [
  ['checkpointed', () => recursiveCheckpointAdjoint()],
  ['checkpoints: 1', () => recursiveCheckpointAdjoint({ checkpoints: 1 })],
  ['batchStages, checkpoints: 2', () => recursiveCheckpointAdjoint({ batchStages: true, checkpoints: 2 })],
];

describe('batched two-leaf pytree states through every adjoint agree with the direct tape', () => {
  for (const [label, opts] of configs) {
    for (const reverse of [false, true]) {
      it(`${label}${reverse ? ', reverse time' : ''}`, () => {
        const want = gradOf(directAdjoint(), opts(reverse), reverse);
        for (const [name, adjoint] of adjoints) {
          const got = gradOf(adjoint(), opts(reverse), reverse);
          expect(Math.abs(got.value - want.value), name).toBeLessThanOrEqual(1e-5 * Math.abs(want.value));
          got.grads.forEach((g, i) => {
            expect(g, `${name}, gradient ${i}`).toBeAllclose(want.grads[i] as number[], { rtol: 1e-3, atol: 1e-4 });
          });
        }
      });
    }
  }

  it('the continuous adjoint approximates it (tsit5, rtol 1e-5)', () => {
    const opts = (configs[0] as [string, (r: boolean) => Opts])[1](false);
    const want = gradOf(directAdjoint(), opts, false);
    const got = gradOf(backsolveAdjoint(), opts, false);
    got.grads.forEach((g, i) => {
      expect(g, `gradient ${i}`).toBeAllclose(want.grads[i] as number[], { rtol: 1e-3, atol: 1e-3 });
    });
  });

  it('forward + backward leaks nothing, for every adjoint', async () => {
    const opts = (configs[1] as [string, (r: boolean) => Opts])[1](true);
    for (const adjoint of [directAdjoint, backsolveAdjoint, ...adjoints.map(([, a]) => a)]) {
      await expectNoLeak(() => {
        gradOf(adjoint(), opts, true);
      });
    }
  });
});

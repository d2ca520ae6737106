import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { directAdjoint } from './adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { bosh3, dopri8, euler, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { SolveError } from './solution.js';
import type { AbstractSolver } from './solver.js';

const osc = (_t: number, y: tf.Tensor) =>
  tf.tidy(() => {
    const [x, v] = tf.split(y, 2, y.rank - 1) as [tf.Tensor, tf.Tensor];
    return tf.concat([v, tf.neg(x)], y.rank - 1);
  });
const y0 = tf.tensor1d([1, 0]);
const yb = tf.tensor2d([
  [1, 0],
  [0, 1],
  [2, 2],
]);
afterAll(() => tf.dispose([y0, yb]));

const solvers: [string, () => AbstractSolver, boolean][] = [
  ['euler', euler, false],
  ['rk4', rk4, false],
  ['bosh3', bosh3, true],
  ['tsit5', tsit5, true],
  ['dopri8', dopri8, true],
];

describe('no leaked tensors (host path: no tape)', () => {
  for (const [name, make, adaptive] of solvers) {
    it(`${name}: a solve with ts, steps and dense output, evaluated, then disposed`, async () => {
      await expectNoLeak(() => {
        const sol = diffeqsolve({
          term: osc,
          solver: make(),
          t0: 0,
          t1: 2,
          dt0: 0.1,
          y0: yb,
          saveat: saveAt({ t0: true, ts: [0.5, 1.5], steps: true, dense: true }),
          ...(adaptive ? { stepsizeController: pidController({ rtol: 1e-5, atol: 1e-6 }) } : {}),
        });
        const y = sol.evaluate(1.234);
        const dy = sol.derivative(0.7);
        expect((y as tf.Tensor).shape).toEqual([3, 2]);
        tf.dispose([y as tf.Tensor, dy as tf.Tensor]);
        sol.dispose();
      }, name);
    });
  }

  it('pytree states, reverse time and t0 === t1', async () => {
    await expectNoLeak(() => {
      const state = { a: tf.ones([3, 2]), b: tf.zeros([3, 1, 2]) };
      const f = (_t: number, y: typeof state) => ({ a: tf.neg(y.a), b: tf.add(y.b, 1) });
      const sol = diffeqsolve({
        term: f,
        solver: tsit5(),
        t0: 1,
        t1: -1,
        y0: state,
        saveat: saveAt({ ts: [1, 0, -1], dense: true }),
        stepsizeController: pidController(),
      });
      const m = sol.evaluate(0.5);
      disposeTree(m);
      sol.dispose();
      const same = diffeqsolve({
        term: f,
        solver: tsit5(),
        t0: 1,
        t1: 1,
        y0: state,
        saveat: saveAt({ t0: true, t1: true }),
      });
      same.dispose();
      disposeTree(state);
    });
  });

  it('without dispose, exactly the solution tensors remain (and tf.tidy reclaims them)', async () => {
    const before = tf.memory().numTensors;
    const sol = diffeqsolve({
      term: osc,
      solver: tsit5(),
      t0: 0,
      t1: 1,
      y0,
      saveat: saveAt({ ts: [0, 1], dense: true }),
      stepsizeController: pidController(),
    });
    expect(tf.memory().numTensors - before).toBe(1 + sol.stats.numAcceptedSteps);
    sol.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expectNoLeak(() => {
      tf.tidy(() => {
        diffeqsolve({
          term: osc,
          solver: rk4(),
          t0: 0,
          t1: 1,
          dt0: 0.1,
          y0,
          saveat: saveAt({ steps: true, dense: true }),
        });
      });
    });
  });

  it('failed solves: returned partial solutions and thrown SolveErrors', async () => {
    await expectNoLeak(() => {
      const partial = diffeqsolve({
        term: osc,
        solver: tsit5(),
        t0: 0,
        t1: 100,
        y0,
        saveat: saveAt({ steps: true, dense: true }),
        stepsizeController: pidController({ rtol: 1e-8, atol: 1e-8 }),
        maxSteps: 10,
        throwOnFailure: false,
      });
      expect(partial.result).toBe('max_steps_reached');
      partial.dispose();
      try {
        diffeqsolve({
          term: osc,
          solver: tsit5(),
          t0: 0,
          t1: 100,
          y0,
          saveat: saveAt({ ts: [0, 0.01, 99], dense: true }),
          stepsizeController: pidController({ rtol: 1e-8, atol: 1e-8 }),
          maxSteps: 10,
        });
        throw new Error('expected a SolveError');
      } catch (e) {
        expect(e).toBeInstanceOf(SolveError);
        (e as SolveError).solution.dispose();
      }
      const nan = diffeqsolve({
        term: (t, y: tf.Tensor) => (t > 0.5 ? tf.mul(y, Number.NaN) : tf.neg(y)),
        solver: tsit5(),
        t0: 0,
        t1: 1,
        y0,
        saveat: saveAt({ ts: [0.25, 0.75], dense: true }),
        stepsizeController: pidController(),
        throwOnFailure: false,
      });
      expect(nan.result).toBe('nonfinite');
      nan.dispose();
      expect(() =>
        diffeqsolve({
          term: (_t, y: tf.Tensor) => tf.concat([y, y]),
          solver: tsit5(),
          t0: 0,
          t1: 1,
          y0,
          stepsizeController: pidController(),
        }),
      ).toThrow(/shape/);
    });
  });
});

describe('no leaked tensors (tensor path: under a gradient tape)', () => {
  for (const [name, make, adaptive] of solvers.filter(([n]) => n !== 'euler')) {
    it(`${name}: valueAndGrad through a direct-adjoint solve with dense output`, async () => {
      await expectNoLeak(() => {
        const args = { k: tf.scalar(0.7) };
        const { value, grads } = valueAndGrad((p: { k: tf.Tensor; y0: tf.Tensor }) => {
          const sol = diffeqsolve({
            term: (_t, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(osc(0, y), a.k),
            solver: make(),
            t0: 0,
            t1: 1,
            dt0: 0.1,
            y0: p.y0,
            args: { k: p.k },
            saveat: saveAt({ ts: [0.3, 1], steps: true, dense: true }),
            adjoint: directAdjoint(),
            ...(adaptive ? { stepsizeController: pidController({ rtol: 1e-5, atol: 1e-6 }) } : {}),
          });
          const mid = sol.evaluate(0.5) as tf.Tensor;
          return tf.add(tf.sum(sol.ys as tf.Tensor), tf.sum(mid));
        })({ k: args.k, y0: yb });
        expect(Number.isFinite(value.dataSync()[0] as number)).toBe(true);
        disposeTree([value, grads.k]);
        grads.y0.dispose();
        args.k.dispose();
      }, name);
    });
  }

  it('a failing solve under the tape (nonfinite, max steps)', async () => {
    await expectNoLeak(() => {
      const { value, grads } = valueAndGrad((p: { y0: tf.Tensor }) => {
        const a = diffeqsolve({
          term: (t, y: tf.Tensor) => (t > 0.5 ? tf.mul(y, Number.NaN) : tf.neg(y)),
          solver: tsit5(),
          t0: 0,
          t1: 1,
          y0: p.y0,
          saveat: saveAt({ ts: [0.25] }),
          stepsizeController: pidController(),
          adjoint: directAdjoint(),
          throwOnFailure: false,
        });
        expect(a.result).toBe('nonfinite');
        const b = diffeqsolve({
          term: osc,
          solver: tsit5(),
          t0: 0,
          t1: 10,
          y0: p.y0,
          saveat: saveAt({ steps: true }),
          stepsizeController: pidController(),
          adjoint: directAdjoint(),
          maxSteps: 3,
          throwOnFailure: false,
        });
        expect(b.result).toBe('max_steps_reached');
        return tf.add(tf.sum(a.ys as tf.Tensor), tf.sum(b.ys as tf.Tensor));
      })({ y0 });
      disposeTree([value, grads.y0]);
    });
  });
});

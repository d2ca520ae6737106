import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

const osc = (_t: number, y: { x: tf.Tensor; v: tf.Tensor }) => ({ x: tf.clone(y.v), v: tf.neg(y.x) });
const read = (y: { x: tf.Tensor; v: tf.Tensor }) => {
  const out = [Array.from(y.x.dataSync()), Array.from(y.v.dataSync())];
  disposeTree(y);
  return out;
};

describe('dense output of a solve that accepts no step', () => {
  it('t0 === t1: evaluate(t0) is y0 and derivative(t0) is f(t0, y0); other times throw', async () => {
    await expectNoLeak(() => {
      for (const solver of [tsit5(), rk4()]) {
        const y0 = { x: tf.tensor2d([[1], [2]]), v: tf.tensor2d([[3], [4]]) };
        const sol = diffeqsolve({ term: osc, solver, t0: 2, t1: 2, dt0: 0.1, y0, saveat: saveAt({ dense: true }) });
        expect(read(sol.evaluate(2))).toEqual([
          [1, 2],
          [3, 4],
        ]);
        expect(read(sol.derivative(2))).toEqual([
          [3, 4],
          [-1, -2],
        ]);
        expect(() => sol.evaluate(2.5)).toThrow(/outside the solved interval/);
        sol.dispose();
        disposeTree(y0);
      }
    });
  });

  it('a failure at the first step (dt_min_reached) still evaluates at t0', async () => {
    await expectNoLeak(() => {
      const y0 = { x: tf.tensor1d([1]), v: tf.tensor1d([0]) };
      const sol = diffeqsolve({
        term: (_t: number, y: { x: tf.Tensor; v: tf.Tensor }) => ({ x: tf.mul(-500, y.x), v: tf.clone(y.v) }),
        solver: tsit5(),
        t0: 0,
        t1: 1,
        y0,
        stepsizeController: pidController({ dtmin: 0.2, rtol: 1e-8, atol: 1e-8 }),
        saveat: saveAt({ dense: true }),
        throwOnFailure: false,
      });
      expect(sol.result).toBe('dt_min_reached');
      expect(read(sol.evaluate(0) as { x: tf.Tensor; v: tf.Tensor })).toEqual([[1], [0]]);
      sol.dispose();
      disposeTree(y0);
    });
  });

  it('t0 === t1 with dense output under the checkpointed adjoint leaks nothing', async () => {
    await expectNoLeak(() => {
      const params = { x: tf.tensor1d([1]), v: tf.tensor1d([2]) };
      let dense: tf.Tensor[] = [];
      let at0: number[][] = [];
      const { value, grads } = valueAndGrad((p: typeof params) => {
        const sol = diffeqsolve({
          term: osc,
          solver: tsit5(),
          t0: 0,
          t1: 0,
          y0: p,
          saveat: saveAt({ t1: true, dense: true }),
          stepsizeController: pidController(),
          adjoint: recursiveCheckpointAdjoint(),
        });
        dense = sol.denseSteps.map((s) => s.rows);
        const out = tf.add(tf.sum(sol.ys.x), tf.sum(sol.ys.v));
        return out;
      })(params);
      at0 = (dense[0] as tf.Tensor).arraySync() as number[][];
      // rows [y0; f(t0, y0)], leaves in key order (v, x)
      expect(at0).toEqual([
        [2, 1],
        [-1, 2],
      ]);
      expect(value.dataSync()[0]).toBe(3);
      expect(grads.x).toBeAllclose([1]);
      disposeTree([value, grads, params, dense]);
    });
  });
});

import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { directAdjoint } from './adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { heun, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

const decay = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y);

/** y′ = −500 y with dtmin 0.2 and tight tolerances: the first step fails with dt_min_reached. */
function solve(k: tf.Tensor, y0: tf.Tensor) {
  return diffeqsolve({
    term: decay,
    solver: tsit5(),
    t0: 0,
    t1: 1,
    stepsizeController: pidController({ dtmin: 0.2, rtol: 1e-8, atol: 1e-8 }),
    y0,
    args: { k },
    saveat: saveAt({ t0: true, steps: true }),
    throwOnFailure: false,
    adjoint: directAdjoint(),
  });
}

describe('directAdjoint replays exactly the steps the tape-free pass accepted', () => {
  it('a solve that fails at its first step takes no step under a tape either', async () => {
    await expectNoLeak(() => {
      const params = { k: tf.scalar(500), y0: tf.tensor1d([1, 2]) };
      const plain = solve(params.k, params.y0);
      expect(plain.result).toBe('dt_min_reached');
      expect(plain.ts).toEqual([0]);
      plain.dispose();
      let ts: number[] = [];
      let result = '';
      const { value, grads } = valueAndGrad((p: typeof params) => {
        const sol = solve(p.k, p.y0);
        ts = sol.ts;
        result = sol.result;
        return tf.sum(sol.ys as tf.Tensor);
      })(params);
      // only y0 was saved: the replay used to take one spurious (initial-guess) step
      expect(result).toBe('dt_min_reached');
      expect(ts).toEqual([0]);
      expect(value.dataSync()[0]).toBeCloseTo(3, 6);
      expect(grads.y0).toBeAllclose([1, 1]);
      expect(grads.k.dataSync()[0]).toBe(0);
      disposeTree([value, grads, params]);
    });
  });
});

describe('directAdjoint under a tape reports the stats of the tape-free solve', () => {
  it('heun (Hermite rows), adaptive, with a save time in the last step and dense output', () => {
    const solve = (k: tf.Tensor, y0: tf.Tensor) =>
      diffeqsolve({
        term: decay,
        solver: heun(),
        t0: 0,
        t1: 2,
        y0,
        args: { k },
        saveat: saveAt({ ts: [0.3, 1.999], dense: true }),
        stepsizeController: pidController({ rtol: 1e-3, atol: 1e-6 }),
        adjoint: directAdjoint(),
      });
    const params = { k: tf.scalar(0.7), y0: tf.tensor1d([1, 2]) };
    const plain = solve(params.k, params.y0);
    const want = plain.stats;
    plain.dispose();
    let got = want;
    const { value, grads } = valueAndGrad((p: typeof params) => {
      const sol = solve(p.k, p.y0);
      got = sol.stats;
      const out = tf.sum(sol.ys as tf.Tensor);
      return out;
    })(params);
    expect(got).toEqual(want);
    disposeTree([value, grads, params]);
  });
});

import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { diffeqsolve, dopri5, pidController, SolveError, saveAt, tsit5 } from './index.js';

describe('regressions', () => {
  it('a vector field may return a tensor it does not own (a leaf of args), compiled or as written', async () => {
    const v = tf.tensor1d([2, -1]);
    for (const compile of [true, false]) {
      await expectNoLeak(() => {
        const y0 = tf.tensor1d([0, 0]);
        const sol = diffeqsolve({
          term: (_t, _y: tf.Tensor, args: { v: tf.Tensor }) => args.v,
          solver: tsit5(),
          t0: 0,
          t1: 1.5,
          dt0: 0.1,
          y0,
          args: { v },
          compile,
        });
        expect(sol.ys).toBeAllclose([[3, -1.5]], { atol: 1e-5 });
        sol.dispose();
        y0.dispose();
      });
      expect(v.isDisposed).toBe(false);
    }
    v.dispose();
  });

  it('dtmax also bounds the first step, given or automatic', () => {
    for (const dt0 of [0.5, undefined]) {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor) => tf.neg(y),
        solver: dopri5(),
        t0: 0,
        t1: 1,
        ...(dt0 === undefined ? {} : { dt0 }),
        y0: tf.tensor1d([1]),
        saveat: saveAt({ steps: true }),
        stepsizeController: pidController({ rtol: 1e-3, atol: 1e-6, dtmax: 0.05 }),
      });
      expect(sol.ts[0]).toBeLessThanOrEqual(0.05 + 1e-12);
      for (let i = 1; i < sol.ts.length; i++)
        expect((sol.ts[i] as number) - (sol.ts[i - 1] as number)).toBeLessThanOrEqual(0.05 + 1e-12);
      sol.dispose();
    }
  });

  it('a failed solve reports the time it stopped at, not the last saved time', () => {
    let error: unknown;
    try {
      diffeqsolve({
        term: (_t, y: tf.Tensor) => tf.neg(y),
        solver: dopri5(),
        t0: 0,
        t1: 10,
        dt0: 0.01,
        y0: tf.tensor1d([1]),
        saveat: saveAt({ ts: [0, 10] }),
        maxSteps: 5,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SolveError);
    const e = error as SolveError;
    expect(e.result).toBe('max_steps_reached');
    expect(e.message).toMatch(/at t = 0\.0(5|49)/);
    expect(e.message).not.toMatch(/at t = 0:/);
    e.solution.dispose();
  });
});

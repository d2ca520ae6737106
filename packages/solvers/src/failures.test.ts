import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { SolveError } from './solution.js';

const decay = (_t: number, y: tf.Tensor) => tf.neg(y);

describe('maxSteps', () => {
  it('returns max_steps_reached with the partial solution when throwOnFailure is false', () => {
    const sol = diffeqsolve({
      term: decay,
      solver: rk4(),
      t0: 0,
      t1: 10,
      dt0: 0.1,
      y0: tf.tensor1d([1]),
      saveat: saveAt({ steps: true, t1: true }),
      maxSteps: 7,
      throwOnFailure: false,
    });
    expect(sol.result).toBe('max_steps_reached');
    expect(sol.stats.numSteps).toBe(7);
    expect(sol.stats.numAcceptedSteps).toBe(7);
    // the steps made are saved; t1 is not (it was never reached)
    expect(sol.ts).toHaveLength(7);
    sol.ts.forEach((t, i) => {
      expect(t).toBeCloseTo(0.1 * (i + 1), 12);
    });
    expect(sol.ys).toBeAllclose(
      sol.ts.map((t) => [Math.exp(-t)]),
      { atol: 1e-6, rtol: 0 },
    );
    sol.dispose();
  });

  it('throws a SolveError carrying the partial solution and the stats by default', () => {
    let caught: unknown;
    try {
      diffeqsolve({
        term: decay,
        solver: tsit5(),
        t0: 0,
        t1: 100,
        y0: tf.tensor1d([1, 2]),
        saveat: saveAt({ ts: [0, 0.01, 50], dense: true }),
        stepsizeController: pidController({ rtol: 1e-8, atol: 1e-8, dtmax: 0.01 }),
        maxSteps: 20,
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SolveError);
    const err = caught as SolveError<tf.Tensor>;
    expect(err.result).toBe('max_steps_reached');
    expect(err.message).toMatch(/max_steps_reached at t = .*maxSteps = 20.*error\.solution/);
    expect(err.stats).toEqual(err.solution.stats);
    expect(err.stats.numSteps).toBe(20);
    expect(err.solution.result).toBe('max_steps_reached');
    // ts reached before stopping are saved, the rest are not
    expect(err.solution.ts).toEqual([0, 0.01]);
    expect(err.solution.ys).toBeAllclose(
      [
        [1, 2],
        [Math.exp(-0.01), 2 * Math.exp(-0.01)],
      ],
      { atol: 1e-6, rtol: 0 },
    );
    // the dense output covers what was solved
    const y = err.solution.evaluate(0.1) as tf.Tensor;
    expect(y).toBeAllclose([Math.exp(-0.1), 2 * Math.exp(-0.1)], { atol: 1e-6, rtol: 0 });
    expect(() => err.solution.evaluate(50)).toThrow(/outside/);
    y.dispose();
    err.solution.dispose();
  });
});

describe('dtmin', () => {
  it('stops with dt_min_reached when the error needs steps below dtmin', () => {
    // stiff relaxation to cos t: explicit steps must stay below ~2.8/1000
    const stiff = (t: number, y: tf.Tensor) => tf.tidy(() => tf.mul(tf.sub(y, Math.cos(t)), -1000));
    const sol = diffeqsolve({
      term: stiff,
      solver: dopri5(),
      t0: 0,
      t1: 1,
      dt0: 0.05,
      y0: tf.tensor1d([0]),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6, dtmin: 0.01 }),
      throwOnFailure: false,
    });
    expect(sol.result).toBe('dt_min_reached');
    expect(sol.stats.numSteps).toBeLessThan(100);
    sol.dispose();
    expect(() =>
      diffeqsolve({
        term: stiff,
        solver: dopri5(),
        t0: 0,
        t1: 1,
        dt0: 0.05,
        y0: tf.tensor1d([0]),
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6, dtmin: 0.01 }),
      }),
    ).toThrow(/dt_min_reached/);
  });
});

describe('non-finite values', () => {
  it('reports nonfinite (not an endless loop) when the vector field turns NaN after some time', () => {
    let calls = 0;
    const f = (t: number, y: tf.Tensor) => {
      calls++;
      return t > 1 ? tf.fill(y.shape, Number.NaN) : tf.neg(y);
    };
    const sol = diffeqsolve({
      term: f,
      solver: tsit5(),
      t0: 0,
      t1: 3,
      y0: tf.tensor1d([1, 1]),
      saveat: saveAt({ ts: [0.5, 2], t1: true }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }),
      throwOnFailure: false,
    });
    expect(sol.result).toBe('nonfinite');
    expect(calls).toBeLessThan(1000);
    expect(sol.stats.numRejectedSteps).toBeGreaterThan(0);
    // what was solved before t = 1 is kept and finite
    expect(sol.ts).toEqual([0.5]);
    expect(sol.ys).toBeAllclose([[Math.exp(-0.5), Math.exp(-0.5)]], { atol: 1e-5, rtol: 0 });
    sol.dispose();
  });

  it('reports nonfinite when only one sample of a batch turns NaN (any position in the batch)', () => {
    const ones = tf.ones([3, 1]);
    for (const bad of [0, 1, 2]) {
      const mask = tf.tensor2d([0, 1, 2].map((i) => [i === bad ? 1 : 0]));
      const f = (t: number, y: tf.Tensor) =>
        tf.tidy(() =>
          t > 0.5 ? tf.add(tf.neg(y), tf.mul(mask, Number.NaN)).where(tf.cast(mask, 'bool'), tf.neg(y)) : tf.neg(y),
        );
      const sol = diffeqsolve({
        term: f,
        solver: tsit5(),
        t0: 0,
        t1: 1,
        y0: ones,
        saveat: saveAt({ steps: true }),
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }),
        throwOnFailure: false,
      });
      expect(sol.result, `NaN in sample ${bad}`).toBe('nonfinite');
      expect(Array.from((sol.ys as tf.Tensor).dataSync()).every(Number.isFinite)).toBe(true);
      sol.dispose();
      mask.dispose();
    }
    ones.dispose();
  });

  it('reports nonfinite with constant steps as soon as a step is not finite', () => {
    const f = (t: number, y: tf.Tensor) => (t > 0.35 ? tf.div(y, 0) : tf.neg(y));
    const sol = diffeqsolve({
      term: f,
      solver: rk4(),
      t0: 0,
      t1: 1,
      dt0: 0.1,
      y0: tf.tensor1d([1]),
      throwOnFailure: false,
    });
    expect(sol.result).toBe('nonfinite');
    expect(sol.stats.numAcceptedSteps).toBe(3);
    expect(sol.stats.numSteps).toBe(4);
    sol.dispose();
    expect(() => diffeqsolve({ term: f, solver: rk4(), t0: 0, t1: 1, dt0: 0.1, y0: tf.tensor1d([1]) })).toThrow(
      /nonfinite at t = .*check the vector field/,
    );
  });

  it('stops a finite problem whose state blows up (y′ = y², y(0) = 1, singular at t = 1)', () => {
    const sol = diffeqsolve({
      term: (_t, y: tf.Tensor) => tf.square(y),
      solver: tsit5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor1d([1]),
      saveat: saveAt({ steps: true }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }),
      throwOnFailure: false,
    });
    // the step size underflows at the singularity (float32 moves it by ~1e-6)
    expect(['dt_min_reached', 'nonfinite']).toContain(sol.result);
    expect(sol.stats.numSteps).toBeLessThanOrEqual(4096);
    const last = sol.ts[sol.ts.length - 1] as number;
    expect(Math.abs(last - 1)).toBeLessThan(1e-4);
    // before the blow-up the values are right: y = 1 / (1 − t)
    const ys = (sol.ys as tf.Tensor).dataSync();
    sol.ts.forEach((t, i) => {
      if (t < 0.9) expect(Math.abs((ys[i] as number) * (1 - t) - 1)).toBeLessThan(1e-4);
    });
    sol.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constantStepSize, pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { bosh3, dopri5, dopri8, heun, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { osc, tight } from './solve-fixtures.test-support.js';
import type { AbstractSolver } from './solver.js';

describe('dense output', () => {
  const cases: [string, () => AbstractSolver, number][] = [
    ['tsit5', tsit5, 1e-4],
    ['dopri5', dopri5, 1e-4],
    ['dopri8', dopri8, 1e-4],
    ['bosh3 (Hermite)', bosh3, 1e-3],
  ];
  for (const [name, make, tol] of cases) {
    it(`${name}: evaluate(t) equals the ts outputs, is accurate, and derivative(t) ≈ f(t, evaluate(t))`, () => {
      const ts = Array.from({ length: 23 }, (_, i) => (3 * i) / 22);
      const sol = diffeqsolve({
        term: osc,
        solver: make(),
        t0: 0,
        t1: 3,
        y0: tf.tensor1d([1, 0]),
        saveat: saveAt({ ts, dense: true }),
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-7 }),
      });
      const saved = (sol.ys as tf.Tensor).arraySync() as number[][];
      const w = Math.sqrt(4 - 0.0025);
      ts.forEach((t, i) => {
        const y = sol.evaluate(t) as tf.Tensor;
        expect(y).toBeAllclose(saved[i], { atol: 1e-6, rtol: 1e-6 });
        const x = Math.exp(-0.05 * t) * (Math.cos(w * t) + (0.05 / w) * Math.sin(w * t));
        expect(Math.abs((y.dataSync()[0] as number) - x)).toBeLessThan(tol);
        const dy = sol.derivative(t) as tf.Tensor;
        const f = osc(t, y);
        expect(dy).toBeAllclose(f, { atol: 20 * tol, rtol: 0 });
        tf.dispose([y, dy, f]);
      });
      sol.dispose();
    });
  }

  it('is continuous across step boundaries and exact at both ends', () => {
    const sol = diffeqsolve({
      term: osc,
      solver: dopri5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor1d([1, 0]),
      saveat: saveAt({ steps: true, dense: true }),
      stepsizeController: tight(),
    });
    const ends = (sol.ys as tf.Tensor).arraySync() as number[][];
    sol.ts.forEach((t, i) => {
      const y = sol.evaluate(t) as tf.Tensor;
      expect(y).toBeAllclose(ends[i], { atol: 1e-6, rtol: 0 });
      y.dispose();
    });
    const y0 = sol.evaluate(0) as tf.Tensor;
    expect(y0).toBeAllclose([1, 0], { atol: 1e-7, rtol: 0 });
    y0.dispose();
    sol.dispose();
  });

  it('rejects t outside the solved interval, missing dense output and use after dispose', () => {
    const sol = diffeqsolve({
      term: osc,
      solver: tsit5(),
      t0: 0,
      t1: 1,
      y0: tf.tensor1d([1, 0]),
      saveat: saveAt({ dense: true }),
      stepsizeController: tight(),
    });
    expect(() => sol.evaluate(1.5)).toThrow(/Solution\.evaluate: t = 1\.5 is outside the solved interval \[0, 1\]/);
    expect(() => sol.derivative(-0.1)).toThrow(/Solution\.derivative: t = -0\.1 is outside/);
    expect(() => sol.evaluate(Number.NaN)).toThrow(/outside/);
    sol.dispose();
    expect(() => sol.evaluate(0.5)).toThrow(/disposed/);
    sol.dispose(); // idempotent
    const noDense = diffeqsolve({
      term: osc,
      solver: tsit5(),
      t0: 0,
      t1: 1,
      y0: tf.tensor1d([1, 0]),
      stepsizeController: tight(),
    });
    expect(() => noDense.evaluate(0.5)).toThrow(/no dense output; solve with saveAt\(\{ dense: true \}\)/);
    noDense.dispose();
  });

  it('Hermite output of non-FSAL solvers (rk4, heun) matches the step ends', () => {
    for (const solver of [rk4(), heun()]) {
      const sol = diffeqsolve({
        term: osc,
        solver,
        t0: 0,
        t1: 1,
        dt0: 0.05,
        y0: tf.tensor1d([1, 0]),
        saveat: saveAt({ steps: true, dense: true }),
      });
      const ends = (sol.ys as tf.Tensor).arraySync() as number[][];
      sol.ts.forEach((t, i) => {
        const y = sol.evaluate(t) as tf.Tensor;
        expect(y).toBeAllclose(ends[i], { atol: 1e-6, rtol: 0 });
        y.dispose();
      });
      const mid = sol.evaluate(0.525) as tf.Tensor;
      const w = Math.sqrt(4 - 0.0025);
      const x = Math.exp(-0.05 * 0.525) * (Math.cos(w * 0.525) + (0.05 / w) * Math.sin(w * 0.525));
      expect(Math.abs((mid.dataSync()[0] as number) - x)).toBeLessThan(solver.order === 4 ? 1e-5 : 2e-3);
      mid.dispose();
      sol.dispose();
    }
  });
});

describe('reverse time (t1 < t0)', () => {
  // y′ = f(t, y) backwards from 0 to −T is z′ = −f(−s, z) forwards from 0 to T (z(s) = y(−s)).
  const f = (t: number, y: tf.Tensor) => tf.tidy(() => tf.add(tf.mul(y, -0.5), Math.cos(2 * t)));
  const g = (s: number, z: tf.Tensor) => tf.tidy(() => tf.neg(f(-s, z)));

  for (const [label, controller, dt0] of [
    ['constant steps', constantStepSize(), 0.1],
    ['adaptive steps', pidController({ rtol: 1e-5, atol: 1e-6 }), undefined],
  ] as const) {
    it(`mirrors forward time with ${label} (ts, steps, dense, stats)`, () => {
      const back = diffeqsolve({
        term: f,
        solver: tsit5(),
        t0: 0,
        t1: -3,
        ...(dt0 === undefined ? {} : { dt0: -dt0 }),
        y0: tf.tensor1d([1, -2]),
        saveat: saveAt({ ts: [0, -0.5, -1.25, -3], dense: true }),
        stepsizeController: controller,
      });
      const fwd = diffeqsolve({
        term: g,
        solver: tsit5(),
        t0: 0,
        t1: 3,
        ...(dt0 === undefined ? {} : { dt0 }),
        y0: tf.tensor1d([1, -2]),
        saveat: saveAt({ ts: [0, 0.5, 1.25, 3], dense: true }),
        stepsizeController: controller,
      });
      expect(back.ts).toEqual([0, -0.5, -1.25, -3]);
      expect(back.stats).toEqual(fwd.stats);
      expect(back.ys).toBeAllclose(fwd.ys, { atol: 1e-6, rtol: 1e-6 });
      // exact: y(t) = (y0 − c(0)) e^{−t/2} + c(t) with c(t) = (0.5 cos 2t + 2 sin 2t)/4.25
      const c = (t: number) => (0.5 * Math.cos(2 * t) + 2 * Math.sin(2 * t)) / 4.25;
      const exact = [0, -0.5, -1.25, -3].map((t) => [1, -2].map((y0) => (y0 - c(0)) * Math.exp(-t / 2) + c(t)));
      expect(back.ys).toBeAllclose(exact, { atol: dt0 === undefined ? 1e-4 : 1e-5, rtol: 1e-4 });
      const yb = back.evaluate(-2.2) as tf.Tensor;
      const yf = fwd.evaluate(2.2) as tf.Tensor;
      expect(yb).toBeAllclose(yf, { atol: 1e-6, rtol: 1e-6 });
      const db = back.derivative(-2.2) as tf.Tensor;
      const df = fwd.derivative(2.2) as tf.Tensor;
      expect(db).toBeAllclose(tf.neg(df), { atol: 1e-5, rtol: 1e-5 });
      expect(() => back.evaluate(0.1)).toThrow(/outside/);
      tf.dispose([yb, yf, db, df]);
      back.dispose();
      fwd.dispose();
    });
  }
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { decay, exactDecay, osc, tight, values } from './solve-fixtures.test-support.js';
import { odeTerm } from './term.js';

describe('saveAt', () => {
  it('saves y(t1) only by default', () => {
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor1d([1]),
      stepsizeController: tight(),
    });
    expect(sol.ts).toEqual([2]);
    expect((sol.ys as tf.Tensor).shape).toEqual([1, 1]);
    expect(values(sol.ys as tf.Tensor)[0]).toBeCloseTo(exactDecay(2, 1), 5);
    sol.dispose();
  });

  it('saves t0 and t1 in order, y(t0) exactly', () => {
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0.5,
      t1: 2,
      y0: tf.tensor1d([1.25]),
      saveat: saveAt({ t0: true, t1: true }),
      stepsizeController: tight(),
    });
    expect(sol.ts).toEqual([0.5, 2]);
    const v = values(sol.ys as tf.Tensor);
    expect(v[0]).toBe(1.25);
    expect(
      Math.abs(
        (v[1] as number) -
          ((1.25 - (Math.sin(0.5) - Math.cos(0.5)) / 2) * Math.exp(-1.5) + (Math.sin(2) - Math.cos(2)) / 2),
      ),
    ).toBeLessThan(1e-5);
    sol.dispose();
  });

  it('saves only t0 when asked (no t1 unless requested)', () => {
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 1,
      y0: tf.tensor1d([1]),
      saveat: saveAt({ t0: true }),
      stepsizeController: tight(),
    });
    expect(sol.ts).toEqual([0]);
    expect(sol.result).toBe('successful');
    sol.dispose();
  });

  it('saves at ts (from dense output, not stepping to them) with the right values', () => {
    const ts = [0, 0.1, 0.35, 1, 1.7, 3];
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 3,
      y0: tf.tensor1d([2]),
      saveat: saveAt({ ts }),
      stepsizeController: tight(),
    });
    expect(sol.ts).toEqual(ts);
    expect((sol.ys as tf.Tensor).shape).toEqual([6, 1]);
    expect(sol.ys).toBeAllclose(
      ts.map((t) => [exactDecay(t, 2)]),
      { atol: 2e-5, rtol: 0 },
    );
    // the same solve without ts takes the same steps: outputs come from interpolation
    const plain = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 3,
      y0: tf.tensor1d([2]),
      stepsizeController: tight(),
    });
    expect(sol.stats.numSteps).toBe(plain.stats.numSteps);
    expect(sol.stats.numFnEvals).toBe(plain.stats.numFnEvals);
    plain.dispose();
    sol.dispose();
  });

  it('saves every step end with steps: true (increasing, ending at t1)', () => {
    const sol = diffeqsolve({
      term: decay,
      solver: dopri5(),
      t0: 0,
      t1: 3,
      y0: tf.tensor1d([2]),
      saveat: saveAt({ steps: true }),
      stepsizeController: tight(),
    });
    expect(sol.ts.length).toBe(sol.stats.numAcceptedSteps);
    expect(sol.ts[sol.ts.length - 1]).toBe(3);
    for (let i = 1; i < sol.ts.length; i++) expect(sol.ts[i]).toBeGreaterThan(sol.ts[i - 1] as number);
    expect(sol.ys).toBeAllclose(
      sol.ts.map((t) => [exactDecay(t, 2)]),
      { atol: 2e-5, rtol: 0 },
    );
    sol.dispose();
  });

  it('mixes t0, ts, steps and t1 as a time-ordered union (duplicates kept)', () => {
    const ts = [0, 0.5, 1.5, 3];
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 3,
      y0: tf.tensor1d([2]),
      saveat: saveAt({ t0: true, ts, steps: true, t1: true }),
      stepsizeController: tight(),
    });
    const n = sol.stats.numAcceptedSteps;
    expect(sol.ts.length).toBe(1 + ts.length + n + 1);
    expect(sol.ts[0]).toBe(0);
    expect(sol.ts[sol.ts.length - 1]).toBe(3);
    for (let i = 1; i < sol.ts.length; i++) expect(sol.ts[i]).toBeGreaterThanOrEqual(sol.ts[i - 1] as number);
    for (const t of ts) expect(sol.ts).toContain(t);
    expect(sol.ys).toBeAllclose(
      sol.ts.map((t) => [exactDecay(t, 2)]),
      { atol: 2e-5, rtol: 0 },
    );
    sol.dispose();
  });

  it('with dense only saves no rows (leaves [0, ...shape]) but evaluates', () => {
    const sol = diffeqsolve({
      term: osc,
      solver: tsit5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor1d([1, 0]),
      saveat: saveAt({ dense: true }),
      stepsizeController: tight(),
    });
    expect(sol.ts).toEqual([]);
    expect((sol.ys as tf.Tensor).shape).toEqual([0, 2]);
    const y = sol.evaluate(1) as tf.Tensor;
    expect(y.shape).toEqual([2]);
    y.dispose();
    sol.dispose();
  });

  it('keeps repeated ts (one row each)', () => {
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor1d([2]),
      saveat: saveAt({ ts: [0, 1, 1, 2, 2] }),
      stepsizeController: tight(),
    });
    expect(sol.ts).toEqual([0, 1, 1, 2, 2]);
    expect(sol.ys).toBeAllclose(
      [0, 1, 1, 2, 2].map((t) => [exactDecay(t, 2)]),
      { atol: 2e-5, rtol: 0 },
    );
    sol.dispose();
    const same = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 1,
      t1: 1,
      y0: tf.tensor1d([2]),
      saveat: saveAt({ ts: [1, 1] }),
    });
    expect(same.ts).toEqual([1, 1]);
    same.dispose();
  });

  it('accepts Float64Array ts and keeps them frozen', () => {
    const s = saveAt({ ts: new Float64Array([0, 1]) });
    expect(s.ts).toEqual([0, 1]);
    expect(Object.isFrozen(s.ts)).toBe(true);
    expect(s.t1).toBe(false);
    expect(saveAt().t1).toBe(true);
  });
});

describe('t0 === t1', () => {
  it('returns y0 without stepping, for each save option', () => {
    const y0 = tf.tensor1d([3, -1]);
    const sol = diffeqsolve({ term: osc, solver: tsit5(), t0: 2, t1: 2, y0 });
    expect(sol.ts).toEqual([2]);
    expect(sol.ys).toBeAllclose([[3, -1]], { atol: 0, rtol: 0 });
    expect(sol.stats).toEqual({ numSteps: 0, numAcceptedSteps: 0, numRejectedSteps: 0, numFnEvals: 0 });
    expect(sol.result).toBe('successful');
    sol.dispose();
    const both = diffeqsolve({
      term: osc,
      solver: tsit5(),
      t0: 2,
      t1: 2,
      y0,
      saveat: saveAt({ t0: true, ts: [2], t1: true }),
      stepsizeController: tight(),
    });
    expect(both.ts).toEqual([2, 2, 2]);
    expect(both.ys).toBeAllclose(
      [
        [3, -1],
        [3, -1],
        [3, -1],
      ],
      { atol: 0, rtol: 0 },
    );
    both.dispose();
    y0.dispose();
  });
});

describe('terms and args', () => {
  it('odeTerm(f) and a bare f give the same solve; args (tensors and numbers) reach f', () => {
    const f = (t: number, y: tf.Tensor, a: { k: tf.Tensor; c: number }) =>
      tf.tidy(() => tf.add(tf.mul(tf.neg(a.k), y), a.c * t));
    const args = { k: tf.scalar(1.5), c: 0.25 };
    const opts = {
      solver: dopri5(),
      t0: 0,
      t1: 1,
      y0: tf.tensor1d([1, -1]),
      args,
      saveat: saveAt({ ts: [0.5, 1] }),
      stepsizeController: tight(),
    };
    const a = diffeqsolve({ ...opts, term: odeTerm(f) });
    const b = diffeqsolve({ ...opts, term: f });
    expect(a.ys).toBeAllclose(b.ys, { atol: 0, rtol: 0 });
    expect(a.stats).toEqual(b.stats);
    // y′ = −k y + c t: y = (y0 + c/k²) e^{−kt} + c t/k − c/k²
    const exact = (t: number, y0: number) => (y0 + 0.25 / 2.25) * Math.exp(-1.5 * t) + (0.25 * t) / 1.5 - 0.25 / 2.25;
    expect(a.ys).toBeAllclose(
      [0.5, 1].map((t) => [exact(t, 1), exact(t, -1)]),
      { atol: 2e-5, rtol: 0 },
    );
    tf.dispose([args.k, opts.y0]);
    a.dispose();
    b.dispose();
  });
});

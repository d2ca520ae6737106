import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constantStepSize, pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { bosh3, dopri5, dopri8, heun, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';
import { odeTerm } from './term.js';

/** y′ = −y + sin(t) (non-autonomous), exact y(t) = (y0 + 1/2) e^−t + (sin t − cos t)/2. */
const decay = (t: number, y: tf.Tensor): tf.Tensor => tf.tidy(() => tf.add(tf.neg(y), Math.sin(t)));
const exactDecay = (t: number, y0: number) => (y0 + 0.5) * Math.exp(-t) + (Math.sin(t) - Math.cos(t)) / 2;

/** A harmonic oscillator with a damping term: y = [x, v]. */
const osc = (_t: number, y: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const [x, v] = tf.unstack(y, y.rank - 1) as [tf.Tensor, tf.Tensor];
    return tf.stack([v, tf.sub(tf.mul(x, -4), tf.mul(v, 0.1))], y.rank - 1);
  });

const tight = () => pidController({ rtol: 1e-6, atol: 1e-6 });
const values = (t: tf.Tensor) => Array.from(t.dataSync());

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

describe('batches', () => {
  it('gives each sample of a [B, dim] batch the answer it gets alone (shared steps, worst-sample norm)', () => {
    const starts = [
      [1, 0],
      [0, 3],
      [-0.5, 0.25],
      [2, -1],
    ];
    const ts = [0, 0.7, 1.9, 4];
    const batch = diffeqsolve({
      term: osc,
      solver: tsit5(),
      t0: 0,
      t1: 4,
      y0: tf.tensor2d(starts),
      saveat: saveAt({ ts }),
      stepsizeController: pidController({ rtol: 1e-5, atol: 1e-6 }),
    });
    expect((batch.ys as tf.Tensor).shape).toEqual([4, 4, 2]);
    const all = (batch.ys as tf.Tensor).arraySync() as number[][][];
    let maxAloneSteps = 0;
    starts.forEach((s, b) => {
      const alone = diffeqsolve({
        term: osc,
        solver: tsit5(),
        t0: 0,
        t1: 4,
        y0: tf.tensor1d(s),
        saveat: saveAt({ ts }),
        stepsizeController: pidController({ rtol: 1e-5, atol: 1e-6 }),
      });
      maxAloneSteps = Math.max(maxAloneSteps, alone.stats.numAcceptedSteps);
      expect(all.map((row) => row[b])).toBeAllclose(alone.ys, { atol: 5e-5, rtol: 1e-4 });
      alone.dispose();
    });
    // the shared steps resolve the hardest sample
    expect(batch.stats.numAcceptedSteps).toBeGreaterThanOrEqual(maxAloneSteps - 1);
    batch.dispose();
  });

  it('keeps a batch of identical samples identical and as cheap as one sample', () => {
    const one = diffeqsolve({
      term: osc,
      solver: dopri5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor1d([1, 0.5]),
      stepsizeController: tight(),
    });
    const many = diffeqsolve({
      term: osc,
      solver: dopri5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor2d([
        [1, 0.5],
        [1, 0.5],
        [1, 0.5],
      ]),
      stepsizeController: tight(),
    });
    expect(many.stats).toEqual(one.stats);
    const m = (many.ys as tf.Tensor).arraySync() as number[][][];
    const o = (one.ys as tf.Tensor).arraySync() as number[][];
    for (const b of [0, 1, 2]) expect(m[0]?.[b]).toBeAllclose(o[0], { atol: 1e-6, rtol: 0 });
    one.dispose();
    many.dispose();
  });
});

describe('pytree states', () => {
  type State = { pos: tf.Tensor; vel: tf.Tensor };
  const tree = (_t: number, y: State): State => ({ pos: tf.clone(y.vel), vel: tf.mul(y.pos, -4) });
  const flat = (_t: number, y: tf.Tensor) =>
    tf.tidy(() => {
      const [p, v] = tf.split(y, 2, y.rank - 1) as [tf.Tensor, tf.Tensor];
      return tf.concat([v, tf.mul(p, -4)], y.rank - 1);
    });

  it('solves an object state like the packed vector (unbatched)', () => {
    const ts = [0, 0.5, 1.5];
    const sol = diffeqsolve({
      term: tree,
      solver: tsit5(),
      t0: 0,
      t1: 1.5,
      y0: { pos: tf.tensor1d([1, 0]), vel: tf.tensor1d([0, 2]) },
      saveat: saveAt({ ts, dense: true }),
      stepsizeController: tight(),
    });
    const ref = diffeqsolve({
      term: flat,
      solver: tsit5(),
      t0: 0,
      t1: 1.5,
      y0: tf.tensor1d([1, 0, 0, 2]),
      saveat: saveAt({ ts }),
      stepsizeController: tight(),
    });
    expect(Object.keys(sol.ys).sort()).toEqual(['pos', 'vel']);
    expect(sol.ys.pos.shape).toEqual([3, 2]);
    const r = (ref.ys as tf.Tensor).arraySync() as number[][];
    expect(sol.ys.pos).toBeAllclose(
      r.map((row) => row.slice(0, 2)),
      { atol: 1e-5, rtol: 0 },
    );
    expect(sol.ys.vel).toBeAllclose(
      r.map((row) => row.slice(2)),
      { atol: 1e-5, rtol: 0 },
    );
    expect(sol.ys.pos).toBeAllclose(
      ts.map((t) => [Math.cos(2 * t), Math.sin(2 * t)]),
      { atol: 1e-4, rtol: 0 },
    );
    const mid = sol.evaluate(0.5);
    expect(mid.pos).toBeAllclose(r[1]?.slice(0, 2), { atol: 1e-5, rtol: 0 });
    expect(mid.vel.shape).toEqual([2]);
    tf.dispose([mid.pos, mid.vel]);
    sol.dispose();
    ref.dispose();
  });

  it('solves an array state with leaves of different shapes, batched and unbatched', () => {
    // leaf 0: [.., 3] decays at rates 1, 2, 3; leaf 1: [.., 2, 2] rotates each pair
    type S = [tf.Tensor, tf.Tensor];
    const rates = tf.tensor1d([1, 2, 3]);
    const f = (_t: number, y: S): S => [
      tf.mul(y[0], tf.neg(rates)),
      tf.tidy(() => {
        const [a, b] = tf.split(y[1], 2, y[1].rank - 1) as [tf.Tensor, tf.Tensor];
        return tf.concat([tf.neg(b), a], y[1].rank - 1);
      }),
    ];
    const exact0 = (t: number, s: number) => [1, 2, 3].map((r) => s * Math.exp(-r * t));
    const exact1 = (t: number, s: number) => [
      [s * Math.cos(t), s * Math.sin(t)],
      [-s * Math.sin(t), s * Math.cos(t)],
    ];
    const un = diffeqsolve({
      term: f,
      solver: dopri5(),
      t0: 0,
      t1: 1,
      y0: [
        tf.ones([3]),
        tf.tensor2d([
          [1, 0],
          [0, 1],
        ]),
      ] as S,
      stepsizeController: tight(),
    });
    expect(un.ys[0].shape).toEqual([1, 3]);
    expect(un.ys[1].shape).toEqual([1, 2, 2]);
    expect(un.ys[0]).toBeAllclose([exact0(1, 1)], { atol: 2e-5, rtol: 0 });
    expect(un.ys[1]).toBeAllclose([exact1(1, 1)], { atol: 2e-5, rtol: 0 });
    un.dispose();
    const scales = [1, -2, 0.5];
    const y0: S = [
      tf.tensor2d(scales.map((s) => [s, s, s])),
      tf.tensor3d(
        scales.map((s) => [
          [s, 0],
          [0, s],
        ]),
      ),
    ];
    const b = diffeqsolve({
      term: f,
      solver: dopri5(),
      t0: 0,
      t1: 1,
      y0,
      saveat: saveAt({ t0: true, t1: true }),
      stepsizeController: tight(),
    });
    expect(b.ys[0].shape).toEqual([2, 3, 3]);
    expect(b.ys[1].shape).toEqual([2, 3, 2, 2]);
    expect(b.ys[0]).toBeAllclose([scales.map((s) => exact0(0, s)), scales.map((s) => exact0(1, s))], {
      atol: 5e-5,
      rtol: 0,
    });
    expect(b.ys[1]).toBeAllclose([scales.map((s) => exact1(0, s)), scales.map((s) => exact1(1, s))], {
      atol: 5e-5,
      rtol: 0,
    });
    b.dispose();
    tf.dispose([rates, ...y0]);
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

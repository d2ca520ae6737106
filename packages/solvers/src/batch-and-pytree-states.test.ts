import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { osc, tight } from './solve-fixtures.test-support.js';

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

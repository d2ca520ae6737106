import { disposeTree, valueAndGrad } from '@odekit/core';
import { diffeqsolve, pidController, saveAt, tsit5 } from '@odekit/solvers';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createDataset } from './dataset.js';
import { ObservablesError } from './errors.js';
import { observedModel } from './observed-model.js';

type Lv = { physics: tf.Tensor1D };
const lvField = (_t: number, y: tf.Tensor2D, { params, c }: { params: Lv; c: tf.Tensor2D }) =>
  tf.tidy(() => {
    const [r, k] = tf.split(y, 2, 1) as [tf.Tensor, tf.Tensor];
    const [a, b, g, d] = tf.unstack(params.physics) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const alpha = tf.add(a, tf.mul(0.5, c)); // alpha depends on the condition L
    return tf.concat(
      [tf.sub(tf.mul(alpha, r), tf.mul(b, tf.mul(r, k))), tf.sub(tf.mul(d, tf.mul(r, k)), tf.mul(g, k))],
      1,
    );
  });

const grids = [
  [0, 0.3, 1.1, 2.0, 3.7],
  [0, 0.5, 0.9, 2.5],
  [0, 0.2, 0.4, 1.7, 2.2, 4.1],
];
const ds = createDataset({
  channels: ['r', 'k'],
  conditions: ['L'],
  trajectories: grids.map((times, i) => ({
    id: `t${i}`,
    times,
    values: {
      r: times.map((t) => 1 + 0.1 * i + 0.05 * t),
      k: times.map((t, j) => (j === 2 ? Number.NaN : 0.5 + 0.01 * t)),
    },
    conditions: { L: 0.2 * i },
  })),
});

describe('observedModel', () => {
  it('one batched predict equals per-trajectory solves', () => {
    const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field: lvField });
    const params = { physics: tf.tensor1d([1.2, 1.0, 1.5, 0.8]) };
    const pred = model.predict(params, ds);
    expect(pred.channels).toEqual(['r', 'k']);
    expect(pred.observations.shape).toEqual([15, 2]);
    const got = pred.observations.arraySync();
    ds.trajectories.forEach((tr, i) => {
      const y0: tf.Tensor = tf.tensor2d([[tr.values.r?.[0] as number, tr.values.k?.[0] as number]]);
      const c = tf.tensor2d([[tr.conditions.L as number]]);
      const sol = diffeqsolve({
        term: (t: number, y: tf.Tensor, a: { params: Lv; c: tf.Tensor2D }) => lvField(t, y as tf.Tensor2D, a),
        solver: tsit5(),
        t0: 0,
        t1: tr.times[tr.times.length - 1] as number,
        y0,
        args: { params, c },
        saveat: saveAt({ ts: tr.times }),
        stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
      });
      const want = (sol.ys as tf.Tensor).arraySync() as number[][][];
      want.forEach((row, k) => {
        const g = got[(pred.plan.offsets[i] as number) + k] as number[];
        expect(g[0]).toBeCloseTo(row[0]?.[0] as number, 4);
        expect(g[1]).toBeCloseTo(row[0]?.[1] as number, 4);
      });
      sol.dispose();
      tf.dispose([y0, c]);
    });
    disposeTree([pred.observations, pred.states, params]);
  });

  it('missing values never reach the gradient; the loss equals the loss of the data without them', async () => {
    const model = observedModel<Lv>({ states: ['r', 'k'], conditions: ['L'], init: 'data', field: lvField });
    const params = { physics: tf.tensor1d([1.2, 1.0, 1.5, 0.8]) };
    await expectNoLeak(() => {
      const { value, grads } = valueAndGrad((p: Lv) => model.loss(p, ds))(params);
      const g = grads.physics.dataSync();
      expect(Array.from(g).every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      disposeTree([value, grads]);
    });
    disposeTree(params);
  });

  it('rejects bad options with the option named', () => {
    expect(() =>
      observedModel({ states: ['x'], init: 'data', field: (_t: number, y: tf.Tensor) => y, bogus: 1 } as never),
    ).toThrow(/unknown option 'bogus'/);
    expect(() => observedModel({ states: ['x'], init: [1, 2], field: (_t: number, y: tf.Tensor) => y })).toThrow(
      ObservablesError,
    );
  });
});

import { disposeTree } from '@odekit/core';
import { pidController } from '@odekit/solvers';
import { expectNoLeak } from '@odekit/testing';
import { lbfgs } from '@odekit/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createDataset } from './dataset.js';
import type { EquationsSpec } from './equations-spec.js';
import { type EquationsParams, modelFromEquations } from './model-from-equations.js';

// A state whose initial value is 'data' starts at each trajectory's first row, plus an optional
// correction per trajectory in params.initial.<state> (shape [trajectories]) that fits can train.

const spec: EquationsSpec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.1, beta: 0.6, gamma: 0.8, delta: 0.5 },
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c' },
  initial: { r: 'data', c: 'data' },
};
const tight = { stepsizeController: pidController({ rtol: 1e-8, atol: 1e-10 }) };
const times = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6];
const truthStarts = [
  [1.5, 1.2],
  [0.8, 2.0],
];
// what the noise did to the first rows (the rest of the rows are exact)
const firstRowNoise = [
  [0.06, -0.05],
  [-0.04, 0.07],
];

/** Exact values on `times` from the true starts, with the first rows moved by `firstRowNoise`. */
function noisyFirstRows() {
  const model = modelFromEquations(spec, tight);
  const exact = createDataset({
    channels: ['r', 'c'],
    trajectories: truthStarts.map(([r, c], i) => ({
      id: `t${i}`,
      times,
      values: {
        r: times.map((_, k) => (k === 0 ? (r as number) : 0)),
        c: times.map((_, k) => (k === 0 ? (c as number) : 0)),
      },
    })),
  });
  const params = model.initParams();
  const pred = model.predictValues(params, exact);
  disposeTree(params);
  return createDataset({
    channels: ['r', 'c'],
    trajectories: pred.map((tr, i) => ({
      id: `t${i}`,
      times,
      values: Object.fromEntries(
        ['r', 'c'].map((s, j) => [
          s,
          Array.from(tr.states[s] as Float64Array, (v, k) => (k === 0 ? v + (firstRowNoise[i]?.[j] as number) : v)),
        ]),
      ),
    })),
  });
}

describe("'data' initial values with per-trajectory corrections", () => {
  const model = modelFromEquations(spec, tight);
  const data = noisyFirstRows();

  it('start at the first rows plus the corrections, and a fit of the corrections finds the true starts', () => {
    const params = model.initParams();
    params.initial.r = tf.tensor1d([0.1, -0.2]);
    params.initial.c = tf.tensor1d([0, 0.3]);
    const at0 = model.predictValues(params, data, { times: [0] });
    expect(at0[0]?.states.r?.[0]).toBeCloseTo(1.5 + 0.06 + 0.1, 5);
    expect(at0[1]?.states.r?.[0]).toBeCloseTo(0.8 - 0.04 - 0.2, 5);
    expect(at0[1]?.states.c?.[0]).toBeCloseTo(2.0 + 0.07 + 0.3, 5);
    disposeTree([params.initial.r, params.initial.c]);

    // physics known: only the corrections train
    params.initial.r = tf.zeros([2]);
    params.initial.c = tf.zeros([2]);
    const lossAt = (p: EquationsParams) => model.losses(p, data).total;
    const before = lossAt(params);
    const res = lbfgs({
      params: params.initial,
      loss: (initial) => model.loss({ ...params, initial }, data),
      maxIterations: 60,
    });
    const fitted = { ...params, initial: res.params };
    const after = lossAt(fitted);
    // the first rows' own residuals pull back a little (one row of 13): within 15 % of the noise
    for (const [j, s] of ['r', 'c'].entries()) {
      const got = res.params[s]?.dataSync() as Float32Array;
      for (let i = 0; i < 2; i++) {
        const want = -(firstRowNoise[i]?.[j] as number);
        expect(Math.abs((got[i] as number) - want)).toBeLessThan(0.15 * Math.abs(want));
      }
    }
    expect(after).toBeLessThan(before / 10);
    disposeTree([params, res.params]);
  });

  it('rejects a correction of the wrong shape, naming it and the fix', () => {
    const params = model.initParams();
    params.initial.r = tf.zeros([3]);
    expect(() => model.predictValues(params, data)).toThrow(
      /params\.initial\.r corrects the first rows of 'r' and must be a tensor \[2\].*got shape \[3\].*drop it/,
    );
    disposeTree(params);
  });

  it('substitute carries the corrections over; no tensors leak', async () => {
    const withNet = modelFromEquations(
      { ...spec, equations: { r: 'alpha*r + NN(r, c)', c: '-gamma*c + delta*r*c' } },
      tight,
    );
    const params = withNet.initParams();
    params.initial.r = tf.tensor1d([0.01, -0.02]);
    params.initial.c = tf.tensor1d([0.03, 0]);
    const { model: next, params: carried } = withNet.substitute('NN', '-0.6*r*c', { params });
    expect(Array.from(carried.initial.r?.dataSync() ?? [])).toEqual(Array.from(params.initial.r.dataSync()));
    expect(Array.from(carried.initial.c?.dataSync() ?? [])).toEqual(Array.from(params.initial.c.dataSync()));
    expect(carried.initial.r).not.toBe(params.initial.r);
    await expectNoLeak(() => {
      next.predictValues(carried, data);
      next.losses(carried, data);
      const l = next.loss(carried, data);
      l.dispose();
    });
    disposeTree([params, carried]);
  });
});

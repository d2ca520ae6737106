import { createRng, disposeTree, type TensorTree } from '@odekit/core';
import { createDataset, type Dataset, type EquationsModel } from '@odekit/observables';
import { expectNoLeak } from '@odekit/testing';
import { type LbfgsOptions, lbfgsAsync } from '@odekit/train';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import type { ModelSpec } from '../types.js';
import { gradientMatching, rateTable, segmentDataset } from './collocation.js';
import type { StageContext } from './context.js';
import { noiseFloor } from './hybrid.js';

// Lotka–Volterra, alpha = 1.3, beta = 0.9, gamma = 0.8, delta = 0.7, two trajectories of 50
// points on [0, 12] (two cycles), RK4 with 100 substeps per interval, 1 % noise.
const P = { alpha: 1.3, beta: 0.9, gamma: 0.8, delta: 0.7 };
const field = ([r, c]: number[]): number[] => [
  P.alpha * (r as number) - P.beta * (r as number) * (c as number),
  -P.gamma * (c as number) + P.delta * (r as number) * (c as number),
];
function lvData(noise: number): Dataset {
  const rng = createRng(11);
  const trajectories = [
    [1.2, 0.9],
    [0.7, 1.6],
  ].map((y0, k) => {
    const times = Float64Array.from({ length: 50 }, (_, i) => (12 * i) / 49);
    const r: number[] = [];
    const c: number[] = [];
    let y = [...y0];
    times.forEach((_, i) => {
      if (i > 0) {
        const h = (times[1] as number) / 100;
        for (let s = 0; s < 100; s++) {
          const k1 = field(y);
          const k2 = field(y.map((v, j) => v + (h / 2) * (k1[j] as number)));
          const k3 = field(y.map((v, j) => v + (h / 2) * (k2[j] as number)));
          const k4 = field(y.map((v, j) => v + h * (k3[j] as number)));
          y = y.map(
            (v, j) =>
              v + (h / 6) * ((k1[j] as number) + 2 * (k2[j] as number) + 2 * (k3[j] as number) + (k4[j] as number)),
          );
        }
      }
      const first = i === 0;
      r.push((y[0] as number) * (first ? 1 : 1 + noise * rng.nextNormal()));
      c.push((y[1] as number) * (first ? 1 : 1 + noise * rng.nextNormal()));
    });
    return { id: String(k), times, values: { r, c } };
  });
  return createDataset({ channels: ['r', 'c'], trajectories });
}

const SPEC: ModelSpec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.3, gamma: 0.8 },
  equations: { r: 'alpha*r + NN1(r, c)', c: '-gamma*c + NN2(r, c)' },
  initial: { r: 'data', c: 'data' },
  networks: { NN1: { width: 8, depth: 1, activation: 'tanh' }, NN2: { width: 8, depth: 1, activation: 'tanh' } },
} as ModelSpec;

function context(data: Dataset): StageContext {
  return {
    data,
    settings: DEFAULT_SETTINGS,
    seed: 0,
    signal: undefined,
    emit: async () => {},
    emitNow: () => {},
    predictions: async () => {},
    gate: async () => {},
    lbfgs: <Q extends TensorTree>(o: LbfgsOptions<Q>) => lbfgsAsync(o),
  };
}

describe('rateTable', () => {
  it("estimates the states' rates at the interior times within 8 % of the true field (1 % noise)", () => {
    const model = buildModel(SPEC, DEFAULT_SETTINGS, 0);
    const t = rateTable(model, lvData(0.01));
    expect(t).toBeDefined();
    if (t === undefined) return;
    expect(t.rows).toBe(96);
    let err = 0;
    let norm = 0;
    for (let i = 0; i < t.rows; i++) {
      const f = field([t.y[2 * i] as number, t.y[2 * i + 1] as number]);
      for (let j = 0; j < 2; j++) {
        err += ((t.rates[2 * i + j] as number) - (f[j] as number)) ** 2;
        norm += (f[j] as number) ** 2;
      }
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(0.08);
  });

  it('is undefined when a state is hidden or read through another expression', () => {
    const hidden = buildModel(
      { ...SPEC, observations: { r: 'r' }, initial: { r: 'data', c: 1 } } as ModelSpec,
      DEFAULT_SETTINGS,
      0,
    );
    expect(rateTable(hidden, lvData(0))).toBeUndefined();
  });
});

describe('segmentDataset', () => {
  it('cuts each trajectory into overlapping segments that start at the smoothed states', () => {
    const model = buildModel(SPEC, DEFAULT_SETTINGS, 0);
    const data = lvData(0.02);
    const seg = segmentDataset(model, data, 6);
    expect(seg).toBeDefined();
    if (seg === undefined) return;
    // 50 points, segments of 6 overlapping by one: starts 0, 5, …, 45 → 10 per trajectory
    expect(seg.trajectories).toHaveLength(20);
    const s1 = seg.trajectories[1];
    expect(s1?.times[0]).toBe(data.trajectories[0]?.times[5]);
    expect(s1?.times).toHaveLength(6);
    // the start is smoothed (not the noisy point), the rest is the data
    expect(s1?.values.r?.[0]).not.toBe(data.trajectories[0]?.values.r?.[5]);
    expect(Math.abs((s1?.values.r?.[0] as number) / (data.trajectories[0]?.values.r?.[5] as number) - 1)).toBeLessThan(
      0.06,
    );
    expect(s1?.values.r?.[3]).toBe(data.trajectories[0]?.values.r?.[8]);
    const fitted = buildModel({ ...SPEC, initial: { r: 'data', c: 1 } } as ModelSpec, DEFAULT_SETTINGS, 0);
    expect(segmentDataset(fitted, data, 6)).toBeUndefined();
  });
});

describe('gradientMatching', () => {
  it('starts the networks at the missing interaction terms before any solve, and keeps no tensor', async () => {
    const data = lvData(0.01);
    const model: EquationsModel = buildModel(SPEC, DEFAULT_SETTINGS, 0);
    await expectNoLeak(async () => {
      const start = model.initParams();
      const out = await gradientMatching(model, start, context(data), 200);
      expect(out.params).toBeDefined();
      expect(out.note).toMatch(/gradient matching on 96 smoothed points/);
      if (out.params !== undefined) {
        // the networks on the data's states against the truth -beta*r*c and delta*r*c
        const rows = data.trajectories.flatMap((tr) =>
          Array.from(tr.times.keys(), (i) => [tr.values.r?.[i] as number, tr.values.c?.[i] as number]),
        );
        const y = tf.tensor2d(rows);
        const f = model.rates(out.params, y);
        const got = f.arraySync();
        let err = 0;
        let norm = 0;
        rows.forEach(([r, c], i) => {
          const truth = field([r as number, c as number]);
          for (let j = 0; j < 2; j++) {
            err += (((got[i] as number[])[j] as number) - (truth[j] as number)) ** 2;
            norm += (truth[j] as number) ** 2;
          }
        });
        expect(Math.sqrt(err / norm)).toBeLessThan(0.1);
        tf.dispose([y, f]);
        disposeTree(out.params);
      }
      disposeTree(start);
    });
  }, 60_000);
});

describe('noiseFloor', () => {
  it("estimates the loss of a model that follows the data to their noise (0.6-2.5x the added noise's mean square: leave-one-out residuals hold some smoothing bias)", () => {
    const model = buildModel(SPEC, DEFAULT_SETTINGS, 0);
    for (const level of [0.01, 0.04]) {
      const data = lvData(level);
      // the added noise's mean square: (level * value)^2 over the noisy values (the first rows are exact)
      let sum = 0;
      let n = 0;
      for (const tr of data.trajectories) {
        for (const ch of ['r', 'c']) {
          const col = tr.values[ch] as Float64Array;
          col.forEach((v, i) => {
            sum += i === 0 ? 0 : (level * v) ** 2; // portable-math: allow (test arithmetic)
            n++;
          });
        }
      }
      const floor = noiseFloor(model, data) as number;
      expect(floor / (sum / n)).toBeGreaterThan(0.6);
      expect(floor / (sum / n)).toBeLessThan(2.5);
    }
    const hidden = buildModel(
      { ...SPEC, observations: { r: 'r' }, initial: { r: 'data', c: 1 } } as ModelSpec,
      DEFAULT_SETTINGS,
      0,
    );
    expect(noiseFloor(hidden, lvData(0.01))).toBeUndefined();
  });
});

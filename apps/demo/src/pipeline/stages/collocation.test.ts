import { disposeTree } from '@odekit/core';
import type { EquationsModel } from '@odekit/observables';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import type { ModelSpec } from '../types.js';
import { gradientMatching, rateTable, segmentDataset } from './collocation.js';
import { noiseFloor } from './hybrid.js';
import { context, field, lvData, SPEC } from './lv-fixture.js';

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

import { disposeTree } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import { makeCsv } from '../scenarios/make-csv.js';
import { drawVariant, variantRhs, variantTruth } from '../scenarios/variants.js';
import { buildModel, lossScalesOf, readData } from './input.js';
import { resolveSettings } from './settings.js';
import type { ModelSpec } from './types.js';

// The loss every stage fits is the same number in any units outside "a few": Lotka–Volterra data
// (the bench's lv draw 3, two trajectories, states of a few units) seen with time × 7.3, the prey
// × 23 and the predator × 0.31, and with time × 0.4, the prey × 0.05 and the predator × 60 —
// scales that are not powers of ten, which the old order-of-magnitude weighting rounded (a channel
// of one decade then counted up to 10× another) — with every rate restated.
const v = drawVariant(3, 'lv');
const csv = makeCsv(variantRhs(v), variantTruth(v));
const A = { t: 7.3, r: 23, c: 0.31 };
const B = { t: 0.4, r: 0.05, c: 60 };

/** `text` in other units: each column multiplied by its scale in `S` (empty cells kept). */
function inOtherUnits(text: string, S: typeof A): string {
  const [head, ...rows] = text.trim().split('\n');
  const cols = (head as string).split(',');
  const by = cols.map((c) => (c === 't' ? S.t : c === 'r' ? S.r : c === 'c' ? S.c : 1));
  return [
    head,
    ...rows.map((row) =>
      row
        .split(',')
        .map((x, i) => (x === '' || by[i] === 1 ? x : String(Number(x) * (by[i] as number))))
        .join(','),
    ),
  ].join('\n');
}

const spec = (p: { alpha: number; beta: number; gamma: number; delta: number }): ModelSpec =>
  ({
    states: ['r', 'c'],
    parameters: p,
    equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c' },
    initial: { r: 'data', c: 'data' },
  }) as unknown as ModelSpec;
// Rates off the truth, so that the residuals are the model's error, not only the noise.
const p = { alpha: 1, beta: 0.5, gamma: 0.8, delta: 0.4 };
const restated = (S: typeof A) => ({
  alpha: p.alpha / S.t,
  beta: p.beta / (S.t * S.c),
  gamma: p.gamma / S.t,
  delta: p.delta / (S.t * S.r),
});

/** The loss of the model with rates `q` on `text`, weighed as the pipeline weighs it. */
function loss(text: string, q: typeof p, lossScales: boolean): number {
  const settings = { ...resolveSettings(spec(q)), lossScales };
  const data = readData(text, 't', 'trajectory');
  const model = buildModel(spec(q), settings, 0, lossScalesOf(data, settings));
  const params = model.initParams();
  try {
    const l = model.loss(params, data);
    const x = l.dataSync()[0] as number;
    l.dispose();
    return x;
  } finally {
    disposeTree(params);
  }
}

describe('lossScales: the loss in any units', () => {
  it('draws two trajectories', () => {
    expect(v.initial).toHaveLength(2);
    expect(csv.split('\n')[0]).toBe('trajectory,t,r,c');
  });
  it('is the same number with every channel and time in other units (within float32 rounding)', async () => {
    const [a, b] = await expectNoLeak(
      () => [loss(inOtherUnits(csv, A), restated(A), true), loss(inOtherUnits(csv, B), restated(B), true)] as const,
      'two scaled losses',
    );
    expect(a).toBeGreaterThan(0);
    expect(Math.abs(b / a - 1)).toBeLessThan(2e-3);
  });
  it('differs by the units without it (the raw residuals are the largest channel’s)', () => {
    const a = loss(inOtherUnits(csv, A), restated(A), false);
    const b = loss(inOtherUnits(csv, B), restated(B), false);
    expect(Math.abs(Math.log(a / b))).toBeGreaterThan(Math.log(3));
  });
  it('divides each channel by its RMS over the data when one is outside 0.2–5, and only when on', () => {
    const settings = resolveSettings(spec(p));
    const data = readData(inOtherUnits(csv, A), 't', 'trajectory');
    const scales = lossScalesOf(data, settings) as Record<string, number>;
    const rms = (ch: 'r' | 'c') => {
      const xs = data.trajectories.flatMap((tr) => [...(tr.values[ch] ?? [])]).filter((x) => Number.isFinite(x));
      return Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
    };
    expect(scales.r).toBeCloseTo(rms('r'), 4);
    expect(scales.c).toBeCloseTo(rms('c'), 6);
    expect(scales.r).toBeGreaterThan(5);
    expect(lossScalesOf(data, { ...settings, lossScales: false })).toBeUndefined();
    // data of a few units keep the raw residuals
    expect(lossScalesOf(readData(csv, 't', 'trajectory'), settings)).toBeUndefined();
  });
});

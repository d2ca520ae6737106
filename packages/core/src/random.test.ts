import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng, mulberry32 } from './index.js';

const N = 100_000;

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += ((values[i] as number) - mean) ** 2;
  return { mean, variance: v / (values.length - 1) };
}

function take(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

describe('mulberry32', () => {
  // Expected values computed independently with a Python transcription of the algorithm in
  // ../shared/reference/workloads.json ("mulberry32"); seed 1 also matches the values quoted
  // there in "about".
  it.each([
    [0, [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111, 0.46732782293111086]],
    [1, [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]],
    [42, [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693, 0.17481389874592423]],
    [12345, [0.9797282677609473, 0.3067522644996643, 0.484205421525985, 0.817934412509203, 0.5094283693470061]],
  ])('seed %i gives the reference sequence exactly', (seed, expected) => {
    const next = mulberry32(seed);
    expect(expected.map(() => next())).toEqual(expected);
  });
});

describe('createRng', () => {
  it('same seed gives identical values across calls and generators', () => {
    const a = take(createRng(123).uniform([50]));
    const b = take(createRng(123).uniform([50]));
    expect(Array.from(a)).toEqual(Array.from(b));
    const n1 = take(createRng(9).normal([7, 3], 2, 0.5));
    const n2 = take(createRng(9).normal([7, 3], 2, 0.5));
    expect(Array.from(n1)).toEqual(Array.from(n2));
    const r1 = createRng(77);
    const r2 = createRng(77);
    const s1 = [r1.nextFloat(), r1.nextUint32(), r1.nextNormal(), r1.nextNormal()];
    const s2 = [r2.nextFloat(), r2.nextUint32(), r2.nextNormal(), r2.nextNormal()];
    expect(s1).toEqual(s2);
  });

  it('successive draws from one stream differ, and different seeds differ', () => {
    const r = createRng(0);
    const a = Array.from(take(r.uniform([20])));
    const b = Array.from(take(r.uniform([20])));
    expect(a).not.toEqual(b);
    const c = Array.from(take(createRng(1).uniform([20])));
    expect(c).not.toEqual(a);
    // large seeds (above 2^32) are distinct from their low 32 bits
    expect(createRng(2 ** 32 + 5).nextUint32()).not.toBe(createRng(5).nextUint32());
    expect(new Set(a).size).toBe(20);
  });

  it('split streams differ from each other and the parent, and are reproducible', () => {
    const parent = createRng(42);
    const [a, b, c] = parent.split(3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('split(3) gave fewer streams');
    const va = Array.from({ length: 10 }, () => a.nextUint32());
    const vb = Array.from({ length: 10 }, () => b.nextUint32());
    const vc = Array.from({ length: 10 }, () => c.nextUint32());
    const vp = Array.from({ length: 10 }, () => parent.nextUint32());
    expect(new Set([...va, ...vb, ...vc, ...vp]).size).toBe(40);
    // reproducible, and split does not depend on how far the parent has advanced
    const [a2, b2] = createRng(42).split(2);
    expect(Array.from({ length: 10 }, () => a2?.nextUint32())).toEqual(va);
    expect(Array.from({ length: 10 }, () => b2?.nextUint32())).toEqual(vb);
    const [a3] = parent.split(1);
    expect(a3?.nextUint32()).toBe(va[0]);
    // children of different seeds differ
    expect(createRng(43).split(1)[0]?.nextUint32()).not.toBe(va[0]);
  });

  it('uniform has mean 1/2 and variance 1/12 within 4σ over 1e5 samples, in [low, high)', () => {
    const v = take(createRng(2024).uniform([N]));
    const { mean, variance } = moments(v);
    // σ(mean) = sqrt(1/12/N); σ(variance) ≈ sqrt((1/80 − 1/144)/N)
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / N));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1);
    const w = take(createRng(5).uniform([2, 1000], -3, -1));
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...w)).toBeLessThan(-1);
    expect(Math.abs(moments(w).mean + 2)).toBeLessThan(4 * Math.sqrt(4 / 12 / 2000));
  });

  it('normal has mean ≈ 0 and std ≈ 1 (4σ: |mean| < 0.0127, |std − 1| < 0.009 for 1e5 samples)', () => {
    const v = take(createRng(7).normal([N]));
    const { mean, variance } = moments(v);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(4 / Math.sqrt(2 * N));
    // shifted and scaled
    const w = take(createRng(8).normal([N], 3, 0.5));
    const m = moments(w);
    expect(Math.abs(m.mean - 3)).toBeLessThan((4 * 0.5) / Math.sqrt(N));
    expect(Math.abs(Math.sqrt(m.variance) - 0.5)).toBeLessThan((4 * 0.5) / Math.sqrt(2 * N));
  });

  it('makes float32 tensors of any shape, including empty and scalar', () => {
    const r = createRng(1);
    const shapes = [[], [0], [2, 3, 4]];
    for (const shape of shapes) {
      const u = r.uniform(shape);
      const n = r.normal(shape);
      expect(u.shape).toEqual(shape);
      expect(n.shape).toEqual(shape);
      expect(u.dtype).toBe('float32');
      u.dispose();
      n.dispose();
    }
    const f = r.nextFloat();
    expect(f >= 0 && f < 1).toBe(true);
    expect(Number.isInteger(r.nextUint32())).toBe(true);
  });

  it('rejects bad seeds, shapes and parameters, naming them', () => {
    expect(() => createRng(1.5)).toThrow(/createRng: 'seed' must be a safe integer, got 1.5/);
    expect(() => createRng(Number.NaN)).toThrow(/'seed'/);
    const r = createRng(0);
    expect(() => r.uniform([2, -1])).toThrow(/Rng\.uniform: 'shape' must be an array of non-negative integers/);
    expect(() => r.normal([1.5])).toThrow(/Rng\.normal: 'shape'/);
    expect(() => r.uniform([2], 1, 0)).toThrow(/Rng\.uniform: need finite 'low' <= 'high'/);
    expect(() => r.normal([2], 0, -1)).toThrow(/Rng\.normal: need finite 'mean' and 'std' >= 0/);
    expect(() => r.split(0)).toThrow(/Rng\.split: 'n' must be a positive integer/);
  });
});

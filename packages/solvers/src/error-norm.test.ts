import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { deviceErrorNorm, errorNormOf, initialStepSize } from './error-norm.js';

describe('error norms (RMS per sample, worst sample)', () => {
  const y0 = [1, 2, -1, 0.5];
  const y1 = [1.5, 1, -1, 0.25];
  const err = [1e-3, -2e-3, 0, 1e-4];
  const rtol = 1e-2;
  const atol = 1e-3;
  // scales: atol + rtol·max(|y0|, |y1|)
  const r = err.map((e, i) => e / (atol + rtol * Math.max(Math.abs(y0[i] as number), Math.abs(y1[i] as number))));
  const rms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);

  it('errorNormOf: one sample is the RMS, a batch takes the worst sample', () => {
    expect(errorNormOf(y0, y1, err, rtol, atol, 1)).toBeCloseTo(rms(r), 12);
    expect(errorNormOf(y0, y1, err, rtol, atol, 2)).toBeCloseTo(Math.max(rms(r.slice(0, 2)), rms(r.slice(2))), 12);
    expect(errorNormOf(y0, y1, [0, 0, 0, 0], rtol, atol, 2)).toBe(0);
  });

  it('deviceErrorNorm agrees with errorNormOf', () => {
    const t = (v: number[]) => tf.tensor2d(v, [1, 4]);
    const [a, b, e] = [t(y0), t(y1), t(err)];
    expect(deviceErrorNorm(a, b, e, rtol, atol, 1)).toBeCloseTo(rms(r), 5);
    expect(deviceErrorNorm(a, b, e, rtol, atol, 2)).toBeCloseTo(errorNormOf(y0, y1, err, rtol, atol, 2), 5);
    tf.dispose([a, b, e]);
  });

  for (const pos of [0, 1, 3]) {
    it(`a NaN or Infinity in any sample (position ${pos}) makes the norm Infinity`, () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const e2 = err.map((v, i) => (i === pos ? bad : v));
        expect(errorNormOf(y0, y1, e2, rtol, atol, 2)).toBe(Number.POSITIVE_INFINITY);
        expect(errorNormOf(y0, y1, e2, rtol, atol, 4)).toBe(Number.POSITIVE_INFINITY);
        const y1b = y1.map((v, i) => (i === pos ? bad : v));
        expect(errorNormOf(y0, y1b, err, rtol, atol, 4)).toBe(Number.POSITIVE_INFINITY);
        const [a, b, e] = [tf.tensor2d(y0, [1, 4]), tf.tensor2d(y1, [1, 4]), tf.tensor2d(e2, [1, 4])];
        expect(deviceErrorNorm(a, b, e, rtol, atol, 2)).toBe(Number.POSITIVE_INFINITY);
        expect(deviceErrorNorm(a, b, e, rtol, atol, 4)).toBe(Number.POSITIVE_INFINITY);
        const [bb, ee] = [tf.tensor2d(y1b, [1, 4]), tf.tensor2d(err, [1, 4])];
        expect(deviceErrorNorm(a, bb, ee, rtol, atol, 4)).toBe(Number.POSITIVE_INFINITY);
        tf.dispose([a, b, e, bb, ee]);
      }
    });
  }
});

describe('initialStepSize (Hairer–Nørsett–Wanner)', () => {
  it('scales like (0.01 / ‖f′‖)^(1/(p+1)) and stays positive and finite', () => {
    // y′ = −λ y from y0 = 1: d0 = d1/λ, d2 ≈ λ·d1
    const step = (lambda: number, order: number) =>
      initialStepSize({
        y0: [1],
        f0: [-lambda],
        fAt: (h0) => [-lambda * (1 - lambda * h0)],
        order,
        rtol: 1e-6,
        atol: 1e-6,
        batch: 1,
      });
    const h1 = step(1, 5);
    const h10 = step(10, 5);
    expect(h1).toBeGreaterThan(0);
    expect(h10).toBeLessThan(h1);
    // h ∝ 1/λ when limited by 100·h0 = λ-scaled, or by the (p+1)-th root; either way it shrinks
    expect(h1 / h10).toBeGreaterThan(10 ** (1 / 6) * 0.99);
    // a zero state and field still gives a small positive step
    expect(
      initialStepSize({ y0: [0], f0: [0], fAt: () => [0], order: 5, rtol: 1e-3, atol: 1e-6, batch: 1 }),
    ).toBeGreaterThan(0);
    // non-finite probes fall back to 1e-6
    expect(
      initialStepSize({ y0: [1], f0: [1], fAt: () => [Number.NaN], order: 5, rtol: 1e-3, atol: 1e-6, batch: 1 }),
    ).toBe(1e-6);
  });
});

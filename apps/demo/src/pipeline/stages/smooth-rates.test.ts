import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { smoothRates } from './smooth-rates.js';

const rms = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);

describe('smoothRates', () => {
  it('is exact for a quadratic (value and rate), on an irregular grid', () => {
    const t = Float64Array.from([0, 0.3, 0.35, 0.9, 1.4, 1.5, 2.2, 2.3, 3.1, 3.5]);
    const s = smoothRates(
      t,
      t.map((x) => 2 - x + 0.5 * x * x),
    );
    t.forEach((x, i) => {
      expect(s.value[i]).toBeCloseTo(2 - x + 0.5 * x * x, 9);
      expect(s.rate[i]).toBeCloseTo(-1 + x, 9);
    });
  });

  it('estimates the derivative of a noisy oscillation (60 irregular points, 2 % noise) within 0.1 of cos(t)', () => {
    const rng = createRng(3);
    const t = Float64Array.from({ length: 60 }, (_, i) => (10 * (i + 0.4 * rng.nextFloat())) / 60);
    const y = t.map((x) => Math.sin(x) + 0.02 * rng.nextNormal());
    const s = smoothRates(t, y);
    const inner = Array.from(t.keys()).slice(2, -2);
    const rateErr = rms(inner.map((i) => (s.rate[i] as number) - Math.cos(t[i] as number)));
    const valueErr = rms(inner.map((i) => (s.value[i] as number) - Math.sin(t[i] as number)));
    expect(rateErr).toBeLessThan(0.1);
    // smoothing removes noise: the values are closer to the truth than the data (σ = 0.02)
    expect(valueErr).toBeLessThan(0.015);
    expect(s.looRms).toBeGreaterThan(0.01);
    expect(s.looRms).toBeLessThan(0.04);
  });

  it('gives estimates at missing values from their neighbours, and NaN everywhere with fewer than 6 points', () => {
    const t = Float64Array.from({ length: 20 }, (_, i) => i / 4);
    const y = t.map((x) => Math.exp(-x));
    y[7] = Number.NaN;
    const s = smoothRates(t, y);
    expect(s.value[7]).toBeCloseTo(Math.exp(-7 / 4), 3);
    expect(s.rate[7]).toBeCloseTo(-Math.exp(-7 / 4), 2);
    const few = smoothRates(Float64Array.from([0, 1, 2, 3, 4]), Float64Array.from([1, 2, 3, 4, 5]));
    expect(Array.from(few.rate).every(Number.isNaN)).toBe(true);
    expect(few.window).toBe(0);
  });
});

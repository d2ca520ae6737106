import { describe, expect, it } from 'vitest';
import { empiricalOrder } from './index.js';

describe('empiricalOrder', () => {
  it('recovers the exact slope of err = C·dt^p', () => {
    for (const p of [1, 2, 4, 5]) {
      const dts = [0.2, 0.1, 0.05, 0.025, 0.0125];
      const errs = dts.map((dt) => 3.7 * dt ** p);
      expect(Math.abs(empiricalOrder(dts, errs) - p)).toBeLessThan(1e-12);
    }
    // two points, non-uniform spacing
    expect(empiricalOrder([1e-3, 1e-1], [1e-9, 1e-3])).toBeCloseTo(3, 12);
  });

  it('is the least-squares slope for noisy data', () => {
    // log-errors 0, 1, 3 at log-dts 0, 1, 2 (base e): slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² = 1.5
    const dts = [1, Math.E, Math.E ** 2];
    const errs = [1, Math.E, Math.E ** 3];
    expect(empiricalOrder(dts, errs)).toBeCloseTo(1.5, 12);
  });

  it('rejects bad input with a message', () => {
    expect(() => empiricalOrder([0.1], [0.01])).toThrow(/two or more \(dt, error\) pairs/);
    expect(() => empiricalOrder([0.1, 0.2], [0.01])).toThrow(/got 2 and 1/);
    expect(() => empiricalOrder([0.1, 0.2], [0, 0.01])).toThrow(/positive and finite/);
    expect(() => empiricalOrder([0.1, -0.2], [0.1, 0.01])).toThrow(/positive and finite/);
    expect(() => empiricalOrder([0.1, 0.2], [Number.NaN, 0.01])).toThrow(/positive and finite/);
    expect(() => empiricalOrder([0.1, 0.2], [Number.POSITIVE_INFINITY, 0.01])).toThrow(/positive and finite/);
    expect(() => empiricalOrder([0.1, 0.1], [0.1, 0.01])).toThrow(/all dts are equal/);
  });
});

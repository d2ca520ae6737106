import { describe, expect, it } from 'vitest';
import { portablePow, portableTanh } from './index.js';

const ulps = (a: number, b: number) => Math.abs(a - b) / (Number.EPSILON * Math.max(Math.abs(a), Math.abs(b), 1e-300));

describe('portable math', () => {
  it('portablePow agrees with Math.pow within a few ulps and keeps its special values', () => {
    let worst = 0;
    for (let i = 0; i < 2000; i++) {
      const x = 0.01 + ((i * 0.37) % 20);
      for (const y of [0.2, -0.2, 0.9, 1.5, -2.5, 2, 3, 17, 150, -7])
        worst = Math.max(worst, ulps(portablePow(x, y), x ** y));
    }
    expect(worst).toBeLessThan(64);
    for (const [x, y] of [
      [0, 0],
      [Number.NaN, 0],
      [0, -1],
      [-0, -1],
      [-0, 3],
      [-2, 3],
      [-2, 0.5],
      [-2, 2000],
      [2, Number.POSITIVE_INFINITY],
      [0.5, Number.NEGATIVE_INFINITY],
      [1, Number.NaN],
      [Number.POSITIVE_INFINITY, -1],
      [Number.NEGATIVE_INFINITY, 3],
      [10, 400],
    ] as const) {
      const want = x ** y;
      const got = portablePow(x, y);
      if (Number.isFinite(want)) expect(ulps(got, want), `${x} ** ${y}`).toBeLessThan(64);
      else expect(got, `${x} ** ${y}`).toBe(want);
    }
    expect(Object.is(portablePow(-0, 3), -0)).toBe(true);
    expect(portablePow(0.9, 10)).toBe(0.9 * 0.9 * (0.9 * 0.9) * (0.9 * 0.9 * (0.9 * 0.9)) * (0.9 * 0.9));
  });

  it('portableTanh agrees with Math.tanh within 2 ulps, odd, with its limits', () => {
    let worst = 0;
    for (let i = -4000; i <= 4000; i++) {
      const x = i * 0.00731;
      worst = Math.max(worst, ulps(portableTanh(x), Math.tanh(x)));
      expect(portableTanh(-x)).toBe(-portableTanh(x));
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(portableTanh(30)).toBe(1);
    expect(portableTanh(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(Object.is(portableTanh(-0), -0)).toBe(true);
    expect(portableTanh(1e-30)).toBe(1e-30);
    expect(Number.isNaN(portableTanh(Number.NaN))).toBe(true);
  });
});

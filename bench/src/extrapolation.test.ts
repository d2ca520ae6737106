import { describe, expect, it } from 'vitest';
import { extrapolationSums } from './extrapolation.js';

describe('extrapolationSums', () => {
  it('integrates the truth by RK4 (y′ = −y to 1e-10) and counts the missing predictions', () => {
    const t = [0.5, 1, 2];
    const exact = t.map((s) => 2 * Math.exp(-s));
    const f = (y: number[]) => [-(y[0] as number)];
    const right = extrapolationSums([{ trajectory: 0, t, values: { x: exact } }], [[2]], ['x'], f, 1e-2);
    expect(right.missing).toBe(0);
    expect(Math.sqrt(right.se / right.ss)).toBeLessThan(1e-9);
    // 1 % off everywhere, one value missing
    const off = extrapolationSums(
      [{ trajectory: 0, t, values: { x: [exact[0] as number, null, 1.01 * (exact[2] as number)] } }],
      [[2]],
      ['x'],
      f,
      1e-2,
    );
    expect(off.missing).toBe(1);
    expect(off.se).toBeCloseTo((0.01 * (exact[2] as number)) ** 2, 12);
  });
});

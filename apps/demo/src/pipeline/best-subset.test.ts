import { simplify } from '@odekit/symbolic';
import { describe, expect, it } from 'vitest';
import { bestSubsets, solveSmall } from './best-subset.js';

// States along one Lotka–Volterra-like arc: r and c vary together, the monomials are nearly collinear.
const t = Float64Array.from({ length: 300 }, (_, i) => (3 * i) / 299);
const r = Float64Array.from(t, (s) => 0.9 + 0.7 * Math.sin(1.7 * s));
const c = Float64Array.from(t, (s) => 2.2 + 1.9 * Math.cos(1.3 * s + 0.4));

describe('bestSubsets', () => {
  it('finds an exact one- and two-term polynomial with its constants (to 1e-9)', () => {
    const y = Float64Array.from(r, (v, i) => -0.9 * v * (c[i] as number));
    const [one] = bestSubsets({ X: { r, c }, y, maxTerms: 1 });
    expect(one?.loss).toBeLessThan(1e-20);
    expect(one?.expr.evaluate({ r: Float64Array.of(2), c: Float64Array.of(3) })[0]).toBeCloseTo(-5.4, 9);
    const y2 = Float64Array.from(r, (v, i) => 0.3 * (c[i] as number) ** 2 - 0.1 * (c[i] as number) ** 3 + 0 * v);
    const two = bestSubsets({ X: { r, c }, y: y2, maxTerms: 2, keep: [0, 1] });
    expect(two).toHaveLength(1);
    expect(two[0]?.loss).toBeLessThan(1e-18);
    expect(two[0]?.expr.evaluate({ r: Float64Array.of(0), c: Float64Array.of(2) })[0]).toBeCloseTo(0.4, 9);
  });

  it('keeps the requested number of subsets per size, best first, and the true term among the few best on a perturbed copy', () => {
    // The network's copy of -0.9 r c is off by a smooth 10 % error along the arc.
    const y = Float64Array.from(r, (v, i) => -0.9 * v * (c[i] as number) * (1 + 0.1 * Math.sin(2 * (t[i] as number))));
    const out = bestSubsets({ X: { r, c }, y, keep: [3, 2, 1] });
    expect(out).toHaveLength(6);
    const ones = out.slice(0, 3);
    expect(ones[0]?.loss).toBeLessThanOrEqual(ones[1]?.loss as number);
    expect(ones.some((e) => /^-0\.\d+\*(c\*r|r\*c)$/.test(simplify(e.expr).toString()))).toBe(true);
  });
});

describe('solveSmall', () => {
  it('solves a small system and returns undefined for a singular one', () => {
    expect(
      solveSmall(
        [
          [2, 1],
          [1, 3],
        ],
        [3, 5],
      )?.map((v) => Number(v.toFixed(12))),
    ).toEqual([0.8, 1.4]);
    expect(
      solveSmall(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 2],
      ),
    ).toBeUndefined();
  });
});

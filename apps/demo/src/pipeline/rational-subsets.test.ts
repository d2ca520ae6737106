import { describe, expect, it } from 'vitest';
import { bestSubsets } from './best-subset.js';
import { rationalSubsets } from './rational-subsets.js';

/** States along a closed loop (as along one orbit: r and c nearly tied to each other). */
function orbit(n: number): { r: Float64Array; c: Float64Array } {
  const r = Float64Array.from({ length: n }, (_, i) => 1.5 + 1.2 * Math.cos((2 * Math.PI * i) / n));
  const c = Float64Array.from({ length: n }, (_, i) => 1.2 + 0.8 * Math.sin((2 * Math.PI * i) / n + 0.4));
  return { r, c };
}

describe('rationalSubsets', () => {
  it('finds a Holling II response a*r*c/(1 + h*r) exactly, where a 2-term polynomial only looks alike', () => {
    const X = orbit(400);
    const y = Float64Array.from(X.r, (r, i) => (0.9 * r * (X.c[i] as number)) / (1 + 0.5 * r));
    const [best] = rationalSubsets({ X, y });
    expect(best?.loss).toBeLessThan(1e-20);
    // as m/(p + q*d): p = 1/0.9, q = 0.5/0.9
    const v = best?.expr.evaluate({ r: Float64Array.of(2), c: Float64Array.of(1) })[0];
    expect(v).toBeCloseTo((0.9 * 2) / 2, 10);
    const [poly] = bestSubsets({ X, y, keep: [0, 1, 0] });
    expect(poly?.loss).toBeGreaterThan(1e-5);
  });
  it('finds Beddington–DeAngelis with known terms free beside it, and uses two constants for a*m/(1 + b*d)', () => {
    const X = orbit(400);
    const y = Float64Array.from(
      X.r,
      (r, i) => (-1.1 * r * (X.c[i] as number)) / (1 + 0.6 * r + 0.3 * (X.c[i] as number)) + 0.7 * r,
    );
    const found = rationalSubsets({ X, y, always: [X.r] });
    const bd = found.find((e) => e.loss < 1e-18);
    expect(bd).toBeDefined();
    const h2 = rationalSubsets({ X, y: Float64Array.from(X.r, (r, i) => (r * (X.c[i] as number)) / (1 + r)) })[0];
    expect(h2?.expr.toString()).toMatch(/^c\*r\/\(/);
  });
  it('skips fractions whose denominator comes near zero on the samples', () => {
    const X = orbit(200);
    const y = Float64Array.from(X.r, (r) => 1 / (1 - 0.3 * r));
    for (const e of rationalSubsets({ X, y })) {
      const v = e.expr.evaluate(X);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });
});

import { parseExpression } from '@odekit/symbolic';
import { describe, expect, it } from 'vitest';
import { margin, zeroedVariants } from './refit.js';

describe('zeroedVariants', () => {
  it('sets each free constant to 0 in turn and keeps the simpler results that still use a variable', () => {
    const v = zeroedVariants(parseExpression('(1/(x1 + 1) - 0.000138)*x1')).map(String);
    expect(v).toContain('x1/(x1 + 1)');
    expect(zeroedVariants(parseExpression('-0.9*r*c')).map(String)).toEqual([]);
    // Integer exponents are not constants to drop.
    expect(zeroedVariants(parseExpression('0.3*c^2 - 0.1*c^3')).map(String).sort()).toEqual(['-0.1*c^3', '0.3*c^2']);
  });
});

describe('margin', () => {
  it('is an F-test-like relative loss margin: 4 per dropped constant over the observed values, at least 5 %; 1 % with as many constants', () => {
    expect(margin(1, 62)).toBeCloseTo(4 / 62, 12);
    expect(margin(2, 62)).toBeCloseTo(8 / 62, 12);
    expect(margin(0, 62)).toBe(0.01);
    expect(margin(1, 1000)).toBe(0.05);
  });
});

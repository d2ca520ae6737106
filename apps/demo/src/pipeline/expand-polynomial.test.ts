import { parseExpression } from '@odekit/symbolic';
import { describe, expect, it } from 'vitest';
import { expandPolynomial } from './expand-polynomial.js';

describe('expandPolynomial', () => {
  it('writes a factored polynomial as a sum of monomials with the same values', () => {
    const e = parseExpression('(0.481 - 0.0998*c)*c*(c + 1.82)');
    const x = expandPolynomial(e);
    expect(x?.toString()).toMatch(/^0\.8754\d*\*c \+ 0\.2993\d*\*c\^2 - 0\.0998\*c\^3$/);
    const c = Float64Array.of(-1, 0.5, 2, 3.7);
    const a = e.evaluate({ c });
    const b = x?.evaluate({ c }) as Float64Array;
    a.forEach((v, i) => {
      expect(b[i]).toBeCloseTo(v, 12);
    });
    expect(
      expandPolynomial(parseExpression('(r - c)^2/2'))?.evaluate({ r: Float64Array.of(3), c: Float64Array.of(1) })[0],
    ).toBe(2);
  });
  it('gives undefined for what is not a polynomial', () => {
    for (const t of ['c*r/(1 + 0.5*r)', 'c^0.5', 'exp(c)', 'c^-1'])
      expect(expandPolynomial(parseExpression(t))).toBeUndefined();
  });
});

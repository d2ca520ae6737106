import { parseExpression } from '@odekit/symbolic';
import { describe, expect, it } from 'vitest';
import { cancelMonomials, expandPolynomial } from './expand-polynomial.js';

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

describe('cancelMonomials', () => {
  it('takes out the monomial factors a division cancels, when a smaller polynomial is left (forms seen in held-out variants)', () => {
    const cases: [string, string][] = [
      ['1.86*r*r/(r*r)', '1.86'],
      ['0.114*c*r/c', '0.114*r'],
      ['c*r/(0.5*c*r)', '2'],
    ];
    for (const [t, want] of cases) expect(cancelMonomials(parseExpression(t)).toString()).toBe(want);
    const e = parseExpression('(0.0936*r/c + 0.606)*c');
    const x = cancelMonomials(e);
    expect(x.complexity).toBeLessThan(e.complexity);
    const at = { r: Float64Array.of(0.5, 2), c: Float64Array.of(1.5, 3) };
    expect([...x.evaluate(at)].map((v) => v.toFixed(12))).toEqual([...e.evaluate(at)].map((v) => v.toFixed(12)));
    // a quotient that stays one, or a sum in the denominator: unchanged
    for (const t of ['0.0398*c*r/(c*c)', 'c*r/(0.5*r + 1)', '-0.9*c*r'])
      expect(cancelMonomials(parseExpression(t)).toString()).toBe(parseExpression(t).toString());
  });
});

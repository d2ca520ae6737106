import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { combineLibraries, customLibrary, polynomialLibrary } from './library.js';
import { parseExpression } from './parse.js';
import { roundConstants } from './round-constants.js';
import { sparseRegression } from './sparse-regression.js';

function sample(n: number, seed: number, box: Record<string, [number, number]>) {
  const rng = createRng(seed);
  const X: Record<string, Float64Array> = {};
  for (const [name, [lo, hi]] of Object.entries(box))
    X[name] = Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.nextFloat());
  return X;
}

describe('sparseRegression', () => {
  it('recovers Lotka-Volterra prey and a cubic with a polynomial library', () => {
    const X = sample(200, 1, { x: [0.1, 6], y: [0.1, 6] });
    const target = parseExpression('1.3*x - 0.9*x*y').evaluate(X);
    const e = sparseRegression({ X, y: target, library: polynomialLibrary({ degree: 3 }) });
    expect(roundConstants(e, 6).toString()).toBe('1.3*x - 0.9*x*y');
    const cubic = parseExpression('10*(y - (x^3 - x)/3)');
    const X2 = sample(300, 2, { x: [-2.5, 2.5], y: [-1.5, 1.5] });
    const e2 = sparseRegression({
      X: X2,
      y: cubic.evaluate(X2),
      library: polynomialLibrary({ degree: 3 }),
      threshold: 0.5,
    });
    expect(roundConstants(e2, 6).toString()).toBe('3.333333*x - 3.333333*x^3 + 10*y');
    expect(e2.complexity).toBe(parseExpression('3.333*x - 3.333*x^3 + 10*y').complexity);
    const got = e2.evaluate(X2);
    const want = cubic.evaluate(X2);
    want.forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 8);
    });
  });

  it('gives a polynomial that merely fits for a power law (accuracy is not recovery)', () => {
    const X = sample(500, 3, { x: [0.1, 5], y: [0.1, 5] });
    const target = parseExpression('y^0.9 - y + 0.5*y^2').evaluate(X);
    const e = sparseRegression({ X, y: target, library: polynomialLibrary({ degree: 2 }), threshold: 0.1 });
    expect(e.variables).toEqual(['y']);
    expect(e.toString()).not.toContain('0.9');
  });

  it('works with custom libraries and weights, and thresholds everything away when asked', () => {
    const X = sample(100, 4, { x: [-3, 3] });
    const target = parseExpression('2*sin(x) + 0.5').evaluate(X);
    const lib = combineLibraries(polynomialLibrary({ degree: 1 }), customLibrary(['sin(x)', 'cos(x)']));
    const e = sparseRegression({ X, y: target, library: lib, weights: new Float64Array(100).fill(2) });
    expect(roundConstants(e, 6).toString()).toBe('2*sin(x) + 0.5');
    expect(sparseRegression({ X, y: target, library: lib, threshold: 100 }).toString()).toBe('0');
  });

  it('rejects bad input clearly', () => {
    const lib = polynomialLibrary({ degree: 1 });
    expect(() => sparseRegression({ X: {}, y: [1], library: lib })).toThrow(/'X' must be an object/);
    expect(() => sparseRegression({ X: { x: [1, 2] }, y: [1], library: lib })).toThrow(/X\.x has 2 rows/);
    expect(() => sparseRegression({ X: { x: [1] }, y: [Number.NaN], library: lib })).toThrow(/non-finite/);
    expect(() => polynomialLibrary({ degree: 0 })).toThrow(/positive integer/);
    expect(() => sparseRegression({ X: { x: [0, 1] }, y: [1, 2], library: customLibrary(['log(x)']) })).toThrow(
      /not finite/,
    );
  });
});

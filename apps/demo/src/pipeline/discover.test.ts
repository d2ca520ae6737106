import { parseExpression, type SymbolicRegressionResult, symbolicRegression } from '@odekit/symbolic';
import { describe, expect, it } from 'vitest';
import { discoverTerm, expandedWithSameConstants, formOf, oneTermCandidates, type SearchFunction } from './discover.js';
import { DEFAULT_SETTINGS } from './settings.js';

describe('formOf', () => {
  it('tells forms apart by their shape, not their constants', () => {
    const f = (t: string) => formOf(parseExpression(t));
    expect(f('0.45*c*r')).toBe(f('0.4498*c*r'));
    expect(f('c*r/(0.4745*r + 1.035)')).toBe(f('c*r/(0.49*r + 1.2)'));
    expect(f('0.3*c^2')).not.toBe(f('0.3*c^3'));
    expect(f('0.3*c^2')).not.toBe(f('0.3*c*r'));
  });
});

describe('expandedWithSameConstants', () => {
  it('expands a factored polynomial when that adds no constant, and leaves the rest alone', () => {
    const x = (t: string) => expandedWithSameConstants(parseExpression(t)).toString();
    // the embedded example's term as the tie rule once chose it
    expect(x('-0.0983*c*c*(c - 2.99)')).toMatch(/^0\.29\d*\*c\^2 - 0\.0983\*c\^3$/);
    expect(x('(c + 1.5)*(r + 2)')).toBe('(c + 1.5)*(r + 2)'); // expanded it would need 3 constants
    expect(x('x1/(x1 + 1)')).toBe('x1/(x1 + 1)');
  });
});

describe('oneTermCandidates', () => {
  it('fits each monomial up to degree 2 alone with the known terms free, leaving out the known ones and constants', () => {
    const n = 300;
    const r = Float64Array.from({ length: n }, (_, i) => 1.5 + 1.2 * Math.cos((2 * Math.PI * i) / n));
    const c = Float64Array.from({ length: n }, (_, i) => 1.2 + 0.8 * Math.sin((2 * Math.PI * i) / n + 0.4));
    // what the network learned: the true 0.5*c*r and a share of the known -gamma*c
    const y = Float64Array.from(r, (v, i) => 0.5 * v * (c[i] as number) - 0.3 * (c[i] as number));
    const got = oneTermCandidates({ X: { r, c }, y }, [parseExpression('c')]);
    const forms = got.map((e) => formOf(e)).sort();
    expect(forms).toEqual(['#*(c*r)', '#*c^2', '#*r', '#*r^2']);
    const rc = got.find((e) => formOf(e) === '#*(c*r)');
    // its constant fitted beside the free known term: exactly the true one
    expect(rc?.evaluate({ r: Float64Array.of(1), c: Float64Array.of(1) })[0]).toBeCloseTo(0.5, 9);
  });
});

describe('discoverTerm', () => {
  it('puts the rational shape of a Holling II network among the candidates judged on the data, once', async () => {
    // A network that learned r*c/(1 + 0.5*r) exactly, sampled along a loop of states.
    const n = 400;
    const r = Float64Array.from({ length: n }, (_, i) => 1.5 + 1.2 * Math.cos((2 * Math.PI * i) / n));
    const c = Float64Array.from({ length: n }, (_, i) => 1.2 + 0.8 * Math.sin((2 * Math.PI * i) / n + 0.4));
    const y = Float64Array.from(r, (v, i) => (v * (c[i] as number)) / (1 + 0.5 * v));
    // A search that returns only a look-alike, so the rational can come only from rationalSubsets.
    const search: SearchFunction = async (o) => {
      const real = (await symbolicRegression({ ...o, maxEvals: 200 })) as SymbolicRegressionResult;
      const e = parseExpression('0.405*c + 0.326*c*r');
      return { ...real, hallOfFame: [{ complexity: e.complexity, loss: 1e-3, score: 0, expr: e }] };
    };
    const d = await discoverTerm({
      X: { r, c },
      y,
      settings: { ...DEFAULT_SETTINGS, maxSize: 8 },
      seed: 0,
      budget: 0.01,
      workers: 0,
      search,
    });
    const texts = d.alternatives.map((e) => e.toString());
    const rational = d.alternatives.filter((e) => formOf(e) === formOf(parseExpression('c*r/(0.5*r + 1)')));
    expect(rational).toHaveLength(1);
    const v = rational[0]?.evaluate({ r: Float64Array.of(2), c: Float64Array.of(1) })[0] as number;
    expect(Math.abs(v - 1) / 1).toBeLessThan(1e-3);
    expect(new Set(texts.map((t) => formOf(parseExpression(t)))).size).toBe(texts.length);
  });
  it('sees a known term inside a factored polynomial and leaves it to the physics', async () => {
    const n = 300;
    const r = Float64Array.from({ length: n }, (_, i) => 1 + Math.cos((2 * Math.PI * i) / n));
    const c = Float64Array.from({ length: n }, (_, i) => 2 + 1.5 * Math.sin((2 * Math.PI * i) / n));
    // The network learned the missing 0.3*c^2 - 0.1*c^3 plus a share 0.875*c of the known -gamma*c.
    const y = Float64Array.from(c, (v) => 0.875 * v + 0.3 * v * v - 0.1 * v ** 3);
    const search: SearchFunction = async (o) => {
      const real = (await symbolicRegression({ ...o, maxEvals: 200 })) as SymbolicRegressionResult;
      const e = parseExpression('(0.481 - 0.1*c)*c*(c + 1.82)');
      return { ...real, hallOfFame: [{ complexity: e.complexity, loss: 1e-6, score: 0, expr: e }] };
    };
    const d = await discoverTerm({
      X: { r, c },
      y,
      settings: { ...DEFAULT_SETTINGS, maxSize: 8 },
      seed: 0,
      budget: 0.01,
      workers: 0,
      search,
      knownTerms: [parseExpression('-c'), parseExpression('c*r')],
    });
    expect(d.expr.toString()).toMatch(/^0\.3\d*\*c\^2 - 0\.1\d*\*c\^3$/);
    expect(d.message).toContain('left 0.875*c');
  });
});

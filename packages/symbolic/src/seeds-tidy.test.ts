import { createRng, disposeTree } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './compile.js';
import { optimizeConstants } from './constant-optimizer.js';
import { makeDataset } from './dataset.js';
import { Expression } from './expression.js';
import type { ExprNode } from './node.js';
import { Objective } from './objective.js';
import { parseExpression } from './parse.js';
import { makeSeeds } from './seeds.js';
import { simplify } from './simplify.js';
import { symbolicRegression } from './symbolic-regression.js';
import { tidyTree } from './tidy.js';
import type { TreeRules } from './tree-rules.js';

function sample(box: Record<string, [number, number]>, n: number, seed: number) {
  const rng = createRng(seed);
  const X: Record<string, Float64Array> = {};
  for (const [k, [lo, hi]] of Object.entries(box))
    X[k] = Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.nextFloat());
  return X;
}

/** Same function as `truth` on fresh points (to 1e-6 relative), same variables. */
function expectSameFunction(found: Expression, truth: string, box: Record<string, [number, number]>, tol = 1e-6) {
  const X = sample(box, 300, 99);
  const a = found.evaluate(X);
  const b = parseExpression(truth).evaluate(X);
  b.forEach((v, i) => {
    expect(Math.abs((a[i] as number) - v)).toBeLessThan(tol * (1 + Math.abs(v)));
  });
  expect(found.variables).toEqual(parseExpression(truth).variables);
}

const rulesFor = (variables: string[], binary: TreeRules['binary'], unary: TreeRules['unary']): TreeRules => ({
  variables,
  binary,
  unary,
  complexity: {},
  maxDepth: Number.POSITIVE_INFINITY,
  constraints: {},
  nestedConstraints: {},
});

describe('makeSeeds', () => {
  it("fits FitzHugh–Nagumo's cubic in one step (sparse polynomial seed) and a Monod unit", () => {
    const box: Record<string, [number, number]> = { x: [-2.5, 2.5], y: [-1, 2] };
    const X = sample(box, 500, 1);
    const y = parseExpression('x - x^3/3 - y + 0.5').evaluate(X);
    const obj = new Objective(makeDataset('t', X, y), undefined);
    const seeds = makeSeeds(obj, rulesFor(['x', 'y'], ['+', '-', '*', '/', '^'], []), 30, createRng(0));
    expect(seeds[0]?.loss).toBeLessThan(1e-20);
    expectSameFunction(new Expression(seeds[0]?.tree as ExprNode), 'x - x^3/3 - y + 0.5', box);
    // without ^ the powers become products
    const noPow = makeSeeds(obj, rulesFor(['x', 'y'], ['+', '-', '*'], []), 30, createRng(0));
    expect(new Expression(noPow[0]?.tree as ExprNode).toString()).not.toMatch(/\^|\//);
    expect(noPow[0]?.loss).toBeLessThan(1e-20);

    const Xm = sample({ x: [0.01, 5] }, 500, 2);
    const ym = parseExpression('3*x/(0.4 + x)').evaluate(Xm);
    const om = new Objective(makeDataset('t', Xm, ym), undefined);
    const ms = makeSeeds(om, rulesFor(['x'], ['+', '*', '/'], []), 30, createRng(0));
    expect(ms[0]?.loss).toBeLessThan(1e-16);
    expectSameFunction(new Expression(ms[0]?.tree as ExprNode), '3*x/(0.4 + x)', { x: [0.01, 5] });
  });

  it('fits a power beside a quadratic, y^0.9 - y + 0.5*y^2, in one step (variable projection over p)', () => {
    const box: Record<string, [number, number]> = { x: [0.1, 5], y: [0.1, 5] };
    const X = sample(box, 2000, 3);
    const y = parseExpression('y^0.9 - y + 0.5*y^2').evaluate(X);
    const obj = new Objective(makeDataset('t', X, y), undefined);
    const seeds = makeSeeds(obj, rulesFor(['x', 'y'], ['+', '-', '*', '^'], []), 30, createRng(0));
    expect(seeds[0]?.loss).toBeLessThan(1e-20 * obj.baseline);
    expectSameFunction(new Expression(seeds[0]?.tree as ExprNode), 'y^0.9 - y + 0.5*y^2', box);
  });

  it('at 1 % noise, where p from 0.6 to 1 fits alike, also seeds the p whose rounded coefficients fit: exactly y^0.9 - y + 0.5*y^2', () => {
    const box: Record<string, [number, number]> = { x: [0.1, 5], y: [0.1, 5] };
    const X = sample(box, 3000, 4);
    const clean = parseExpression('y^0.9 - y + 0.5*y^2').evaluate(X);
    const rms = Math.sqrt(clean.reduce((a, v) => a + v * v, 0) / clean.length);
    const rng = createRng(5);
    const y = clean.map((v) => v + 0.01 * rms * rng.nextNormal());
    const obj = new Objective(makeDataset('t', X, y), undefined);
    const seeds = makeSeeds(obj, rulesFor(['x', 'y'], ['+', '-', '*', '/', '^'], []), 30, createRng(0));
    const shown = seeds.map((s) => new Expression(s.tree).toString());
    // the exact form with its simple constants, complexity 11, among the seeds
    expect(shown).toContain('0.5*y*y - y + y^0.9');
  });
});

describe('makeSeeds: rational forms', () => {
  it('fits a two-input saturating term x/(1 + a·x + b·y) from 1 % noisy data', () => {
    const box: Record<string, [number, number]> = { x: [0.05, 5], y: [0, 4] };
    const X = sample(box, 3000, 11);
    const truth = '1.5*x/(1 + 0.4*x + 0.8*y)';
    const clean = parseExpression(truth).evaluate(X);
    const rms = Math.sqrt(clean.reduce((a, v) => a + v * v, 0) / clean.length);
    const rng = createRng(12);
    const y = clean.map((v) => v + 0.01 * rms * rng.nextNormal());
    const obj = new Objective(makeDataset('t', X, y), undefined);
    const seeds = makeSeeds(obj, rulesFor(['x', 'y'], ['+', '-', '*', '/'], []), 30, createRng(0));
    const top = new Expression(seeds[0]?.tree as ExprNode);
    expect(seeds[0]?.loss).toBeLessThan(1.05 * (0.01 * rms) ** 2);
    expectSameFunction(top, truth, box, 0.01);
  });
});

describe('makeSeeds: divided ratios', () => {
  it('reads P/Q with a binomial Q as quotient plus remainder: 3/(1 + y²) − x, not (3 − x − x·y²)/(1 + y²)', () => {
    const box: Record<string, [number, number]> = { x: [0, 4], y: [0, 4] };
    const X = sample(box, 400, 13);
    const obj = new Objective(makeDataset('t', X, parseExpression('2/(1 + y^2) - 0.5*x').evaluate(X)), undefined);
    const seeds = makeSeeds(obj, rulesFor(['x', 'y'], ['+', '-', '*', '/', '^'], []), 30, createRng(0));
    const exact = seeds.filter((s) => s.loss < 1e-20).map((s) => new Expression(s.tree));
    // 2/(c·y² + c) − 0.5·x before tidying (13); the expanded ratio has 17 or more
    expect(Math.min(...exact.map((e) => e.complexity))).toBeLessThanOrEqual(13);
  });
});

describe('tidyTree', () => {
  const x = Float64Array.from({ length: 200 }, (_, i) => 0.1 + i / 40);
  const lossAgainst = (truth: string, noise = 0) => {
    const rng = createRng(3);
    const y = parseExpression(truth)
      .evaluate({ x })
      .map((v) => v + noise * rng.nextNormal());
    return (t: ExprNode): number => {
      const f = new Expression(t).evaluate({ x });
      return y.reduce((s, v, i) => s + ((f[i] as number) - v) ** 2, 0) / y.length;
    };
  };

  it('simplifies, drops vanishing terms and rounds constants only as far as the loss allows', () => {
    const lossOf = lossAgainst('1.3*x + 0.42');
    const messy = parseExpression('1.3000000002*x - -0.42 + -1.98e-17*x*x').root;
    const r = tidyTree(messy, { lossOf, floor: 1e-24 });
    expect(new Expression(r.tree).toString()).toBe('1.3*x + 0.42');
    // a constant the loss pins down keeps its digits: 1.2345678 fits exactly, 1.23 would not
    const exact = tidyTree(parseExpression('1.2345678*x').root, { lossOf: lossAgainst('1.2345678*x'), floor: 1e-24 });
    expect(new Expression(exact.tree).toString()).toBe('1.2345678*x');
    // with noise (σ = 0.05) the same constant keeps only the digits its error bars support
    const noisy = lossAgainst('1.2345678*x', 0.05);
    const start = parseExpression('1.2345678*x').root;
    const n = tidyTree(start, { lossOf: noisy });
    const digits = String(new Expression(n.tree).constants[0])
      .replace(/^-?0?\.?/, '')
      .replace('.', '').length;
    expect(digits).toBeLessThan(7);
    expect(n.loss).toBeLessThanOrEqual(1.001 * noisy(start));
  });

  it('with a refit, rounds an exponent fitted to noise and drops a noise term (the others refit)', () => {
    // 4x − x² with noise (1 % of its RMS) on 1,000 rows; the tree is its least-squares fit with a
    // free exponent and a spurious x³ term, as a search returns it
    const xs = Float64Array.from({ length: 1000 }, (_, i) => 0.1 + (3.9 * i) / 999);
    const rng = createRng(5);
    const clean = xs.map((v) => 4 * v - v * v);
    const rms = Math.sqrt(clean.reduce((a, v) => a + v * v, 0) / clean.length);
    const y = clean.map((v) => v + 0.01 * rms * rng.nextNormal());
    const objective = new Objective(makeDataset('test', { x: xs }, y, undefined), undefined);
    const view = objective.full;
    const lossOf = (t: ExprNode) => objective.loss(t);
    const refit = (t: ExprNode, frozen: readonly boolean[]) =>
      optimizeConstants(t, view, objective, rng, { algorithm: 'LM', iterations: 30, restarts: 0, frozen });
    const start = optimizeConstants(parseExpression('3.9*x - 0.97*x^2.01 + 0.001*x^3').root, view, objective, rng, {
      algorithm: 'LM',
      iterations: 100,
      restarts: 0,
    }).tree;
    // without a refit no constant rounds to a simple value: the others compensate for the noise
    const plain = new Expression(tidyTree(start, { lossOf, tolerance: 4 / 1000 }).tree).toString();
    expect(plain).not.toBe('4*x - x^2');
    const tidy = tidyTree(start, { lossOf, tolerance: 4 / 1000, refit, maxRefits: 12 });
    expect(new Expression(tidy.tree).toString()).toBe('4*x - x^2');
    expect(tidy.loss).toBeLessThanOrEqual((1 + 4 / 1000) * lossOf(start));
  });
});

describe('symbolicRegression: seeding, tidying and noise-level selection', () => {
  it('finds a Monod/Holling II term x*y/(c + x) in a short seeded search, and not unseeded', async () => {
    const box: Record<string, [number, number]> = { x: [0.05, 5], y: [0.1, 3] };
    const X = sample(box, 300, 4);
    const truth = '1.2*x*y/(0.6 + x)';
    const y = parseExpression(truth).evaluate(X);
    const opts = {
      X,
      y,
      seed: 1,
      maxSize: 15,
      populations: 4,
      populationSize: 27,
      ncyclesPerIteration: 60,
      iterations: 3,
      binaryOperators: ['+', '-', '*', '/'] as const,
    };
    const seeded = await symbolicRegression({ ...opts, binaryOperators: [...opts.binaryOperators] });
    expectSameFunction(simplify(seeded.best.expr), truth, box);
    const unseeded = await symbolicRegression({
      ...opts,
      binaryOperators: [...opts.binaryOperators],
      seedPopulations: false,
    });
    expect(unseeded.best.loss).toBeGreaterThan(1e-10);
  });

  it('returns a tidied front (constants to the digits the loss supports) unless tidy is false', async () => {
    const box: Record<string, [number, number]> = { x: [-2, 2], y: [-2, 2] };
    const X = sample(box, 200, 5);
    const rng = createRng(1);
    const y = parseExpression('x - x^3 - 0.2*y')
      .evaluate(X)
      .map((v) => v + 0.01 * rng.nextNormal());
    const common = { X, y, seed: 0, maxSize: 15, populations: 2, iterations: 2, ncyclesPerIteration: 20 } as const;
    const sig = (c: number) => String(Math.abs(c)).replace('.', '').replace(/^0+/, '').length;
    const r = await symbolicRegression({ ...common, binaryOperators: ['+', '-', '*', '^'] });
    expect(r.best.expr.toString()).not.toMatch(/- -|e-\d|\+ -/);
    expect(
      r.best.expr.constants.every((c) => sig(c) <= 5),
      r.best.expr.toString(),
    ).toBe(true);
    expectSameFunction(r.best.expr, 'x - x^3 - 0.2*y', box, 0.01);
    const raw = await symbolicRegression({ ...common, binaryOperators: ['+', '-', '*', '^'], tidy: false });
    expect(
      raw.best.expr.constants.some((c) => sig(c) > 10),
      raw.best.expr.toString(),
    ).toBe(true);
  });

  it('with noiseVariance, best is the simplest front entry within the noise', async () => {
    const box: Record<string, [number, number]> = { x: [0.1, 4] };
    const X = sample(box, 400, 6);
    const sigma = 0.05;
    const rng = createRng(8);
    const y = parseExpression('2*x/(0.5 + x)')
      .evaluate(X)
      .map((v) => v + sigma * rng.nextNormal());
    const common = { X, y, seed: 0, maxSize: 20, populations: 3, iterations: 4, ncyclesPerIteration: 60 } as const;
    const r = await symbolicRegression({ ...common, noiseVariance: 1.1 * sigma * sigma });
    const within = r.hallOfFame.filter((e) => e.loss <= 1.1 * sigma * sigma);
    expect(within.length).toBeGreaterThan(0);
    expect(r.best).toBe(within[0]);
    expectSameFunction(r.best.expr, '2*x/(0.5 + x)', box, 0.02);
  });

  it('compiles the found expression to tfjs without leaking tensors', async () => {
    const box: Record<string, [number, number]> = { x: [0.05, 5] };
    const X = sample(box, 200, 7);
    const y = parseExpression('3*x/(0.4 + x)').evaluate(X);
    const r = await symbolicRegression({
      X,
      y,
      seed: 0,
      maxSize: 12,
      populations: 2,
      iterations: 2,
      ncyclesPerIteration: 20,
    });
    const want = r.best.expr.evaluate(X);
    await expectNoLeak(() => {
      const fn = compileExpression(r.best.expr);
      const xt = tf.tensor1d(Float32Array.from(X.x as Float64Array));
      const out = fn.apply(fn.params, { x: xt });
      const got = out.dataSync();
      want.forEach((v, i) => {
        expect(Math.abs((got[i] as number) - v)).toBeLessThan(1e-4 * (1 + Math.abs(v)));
      });
      disposeTree([out, xt, fn.params]);
    });
  });
});

describe('constant optimisation with integer exponents over negative inputs', () => {
  it("refits x - c*x^3 - y + d on x < 0 too (the exponent's column is held fixed, not NaN)", async () => {
    const { refitConstants } = await import('./refit-constants.js');
    const X = sample({ x: [-2.5, 2.5], y: [-1, 2] }, 300, 9);
    const y = parseExpression('x - x^3/3 - y + 0.5').evaluate(X);
    const fit = refitConstants(parseExpression('x - 0.3*x^3 - y + 0.45'), { X, y, iterations: 50 });
    const [c, p, d] = fit.constants;
    expect(Math.abs((c ?? 0) - 1 / 3)).toBeLessThan(1e-9);
    expect(p).toBe(3);
    expect(Math.abs((d ?? 0) - 0.5)).toBeLessThan(1e-9);
  });
});

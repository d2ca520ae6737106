import { createRng } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import type { Expression } from './expression.js';
import { HallOfFame, scoreFront, selectModel } from './hall-of-fame.js';
import { constant, variable } from './node.js';
import { parseExpression } from './parse.js';
import { simplify } from './simplify.js';
import { symbolicRegression } from './symbolic-regression.js';

function data(truth: string, n: number, seed: number) {
  const rng = createRng(seed);
  const x = Float64Array.from({ length: n }, () => -3 + 6 * rng.nextFloat());
  const y = Float64Array.from({ length: n }, () => 0.1 + 2.9 * rng.nextFloat());
  return { X: { x, y }, target: parseExpression(truth).evaluate({ x, y }) };
}

/** Symbolic equivalence on fresh random points (after simplify), same variables, small size. */
function expectEquivalent(found: Expression, truth: string) {
  const t = parseExpression(truth);
  const s = simplify(found);
  const { X } = data(truth, 200, 99);
  const a = s.evaluate(X);
  const b = t.evaluate(X);
  b.forEach((v, i) => {
    expect(Math.abs((a[i] as number) - v)).toBeLessThan(1e-6 * (1 + Math.abs(v)));
  });
  expect(s.variables).toEqual(t.variables);
  expect(s.complexity).toBeLessThanOrEqual(t.complexity + 2);
}

const recover = async (
  truth: string,
  unaryOperators: ('exp' | 'log')[],
  binaryOperators: ('+' | '-' | '*' | '/' | '^')[],
) => {
  const { X, target } = data(truth, 100, 1);
  const size = parseExpression(truth).complexity;
  const t0 = Date.now();
  const result = await symbolicRegression({
    X,
    y: target,
    seed: 0,
    maxSize: 16,
    binaryOperators,
    unaryOperators,
    constraints: { '^': [-1, 1] },
    nestedConstraints: { exp: { exp: 0 } },
    timeoutSeconds: 20,
    // stop once an exact fit no bigger than the truth is on the front
    earlyStop: (loss, complexity) => loss < 1e-20 && complexity <= size,
  });
  const seconds = (Date.now() - t0) / 1000;
  console.log(
    `${truth}: ${result.best.expr} in ${seconds.toFixed(1)} s, ${result.evaluations} evals (${result.stopReason})`,
  );
  return { result, seconds };
};

describe('symbolicRegression: CI-sized recoveries with fixed seeds', () => {
  it('recovers x*y + 2', async () => {
    const { result, seconds } = await recover('x*y + 2', [], ['+', '-', '*', '/']);
    expectEquivalent(result.best.expr, 'x*y + 2');
    expect(seconds).toBeLessThan(20);
  });

  it('recovers x^2 - y', async () => {
    const { result, seconds } = await recover('x^2 - y', [], ['+', '-', '*', '/', '^']);
    expectEquivalent(result.best.expr, 'x^2 - y');
    expect(seconds).toBeLessThan(20);
  });

  it('recovers 1.5*x*exp(-0.4*y)', async () => {
    const { result, seconds } = await recover('1.5*x*exp(-0.4*y)', ['exp'], ['+', '-', '*', '/']);
    expectEquivalent(result.best.expr, '1.5*x*exp(-0.4*y)');
    expect(result.best.expr.toString()).toMatch(/exp\(/);
    expect(seconds).toBeLessThan(20);
  });
});

describe('symbolicRegression: behaviour', () => {
  const small = { populations: 3, populationSize: 20, ncyclesPerIteration: 40, iterations: 3, maxSize: 12 };

  it('is deterministic for a seed (serial mode), and different seeds differ', async () => {
    const { X, target } = data('x*y + 2', 60, 3);
    const run = (seed: number, seedPopulations = true) =>
      symbolicRegression({ X, y: target, seed, seedPopulations, ...small });
    const a = await run(7);
    const b = await run(7);
    const show = (r: typeof a) => r.hallOfFame.map((e) => `${e.complexity}:${e.loss}:${e.expr}`).join('\n');
    expect(show(a)).toBe(show(b));
    expect(a.evaluations).toBe(b.evaluations);
    // the seeds find x*y + 2 whatever the seed: compare unseeded runs
    const c = await run(8, false);
    const d = await run(7, false);
    expect(show(c)).not.toBe(show(d));
  });

  it('returns a Pareto front with scores and selections, respecting maxSize, maxDepth and constraints', async () => {
    const { X, target } = data('x^2 - y', 80, 4);
    const progress: number[] = [];
    const r = await symbolicRegression({
      X,
      y: target,
      seed: 1,
      ...small,
      maxSize: 9,
      maxDepth: 4,
      binaryOperators: ['+', '-', '*', '^'],
      unaryOperators: ['exp'],
      constraints: { '^': [-1, 1], exp: 3 },
      onProgress: (p) => progress.push(p.iteration),
    });
    expect(progress).toEqual([1, 2, 3]);
    expect(r.iterations).toBe(3);
    const front = r.hallOfFame;
    expect(front.length).toBeGreaterThan(1);
    for (let i = 1; i < front.length; i++) {
      const [prev, cur] = [front[i - 1], front[i]];
      expect(cur?.complexity).toBeGreaterThan(prev?.complexity ?? 0);
      expect(cur?.loss).toBeLessThan(prev?.loss ?? 0);
      expect(cur?.score).toBeGreaterThanOrEqual(0);
    }
    for (const e of front) {
      expect(e.complexity).toBeLessThanOrEqual(9);
      expect(e.expr.depth).toBeLessThanOrEqual(4);
      expect(e.expr.toString()).not.toMatch(/\^\(/);
    }
    expect(r.accuracy).toBe(front.at(-1));
    expect(r.best.loss).toBeLessThanOrEqual(1.5 * r.accuracy.loss + 1e-12);
    expect(Math.max(...front.map((e) => e.score))).toBe(r.score.score);
  });

  it('stops on earlyStop, timeoutSeconds, maxEvals and an aborted signal', async () => {
    const { X, target } = data('x*y + 2', 50, 5);
    const base = { X, y: target, seed: 0, ...small, iterations: 1000 };
    expect((await symbolicRegression({ ...base, earlyStop: 1e10 })).stopReason).toBe('earlyStop');
    const t0 = Date.now();
    expect((await symbolicRegression({ ...base, timeoutSeconds: 0.5 })).stopReason).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
    const m = await symbolicRegression({ ...base, maxEvals: 2000 });
    expect(m.stopReason).toBe('maxEvals');
    const ctrl = new AbortController();
    ctrl.abort();
    expect((await symbolicRegression({ ...base, signal: ctrl.signal })).stopReason).toBe('aborted');
  });

  it('supports batching, weights, annealing and BFGS, and uses no tensors', async () => {
    const { X, target } = data('x*y + 2', 400, 6);
    const r = await expectNoLeak(() =>
      symbolicRegression({
        X,
        y: target,
        weights: new Float64Array(400).fill(1),
        seed: 2,
        ...small,
        batching: true,
        batchSize: 32,
        annealing: true,
        optimizerAlgorithm: 'BFGS',
      }),
    );
    expect(r.hallOfFame.length).toBeGreaterThan(0);
    expect(Number.isFinite(r.best.loss)).toBe(true);
  });

  it('rejects bad options clearly', async () => {
    const { X, target } = data('x', 10, 1);
    await expect(symbolicRegression({ X, y: target, binaryOperators: ['%' as '+'] })).rejects.toThrow(
      /unknown binary operator '%'/,
    );
    await expect(symbolicRegression({ X, y: target, unaryOperators: ['erf' as 'exp'] })).rejects.toThrow(
      /unknown unary/,
    );
    await expect(symbolicRegression({ X, y: target, maxSize: 0 })).rejects.toThrow(/'maxSize' must be an integer/);
    await expect(symbolicRegression({ X, y: [1, 2] })).rejects.toThrow(/has 10 rows/);
  });
});

describe('hall of fame and model selection', () => {
  it("applies PySR's best / accuracy / score rules", () => {
    const hof = new HallOfFame(10);
    const c = (complexity: number, loss: number) => ({
      tree: complexity === 1 ? constant(1) : variable(`v${complexity}`),
      loss,
      complexity,
    });
    for (const m of [c(1, 10), c(3, 1), c(5, 0.9), c(7, 0.01), c(9, 0.009), c(4, 5)]) hof.update(m);
    expect(hof.update(c(3, 2))).toBe(false);
    const front = scoreFront(hof.front(0), 0);
    expect(front.map((e) => e.complexity)).toEqual([1, 3, 5, 7, 9]);
    expect(front[1]?.score).toBeCloseTo(Math.log(10) / 2, 12);
    expect(selectModel(front, 'accuracy').complexity).toBe(9);
    expect(selectModel(front, 'best').complexity).toBe(7); // within 1.5× of the lowest loss, highest score
    expect(selectModel(front, 'score').complexity).toBe(7);
    // a loss floor merges round-off-level losses
    hof.update(c(2, 1e-30));
    hof.update(c(6, 1e-32));
    expect(scoreFront(hof.front(1e-20), 1e-20).map((e) => e.complexity)).toEqual([1, 2]);
    expect(() => selectModel([], 'best')).toThrow(/empty/);
  });
});

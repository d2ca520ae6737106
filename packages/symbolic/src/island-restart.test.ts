import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { RestartTracker } from './island-restart.js';
import { IslandGroup } from './island-worker.js';
import { symbolicRegression as threaded } from './parallel-search.js';
import { parseExpression } from './parse.js';
import { symbolicRegression } from './symbolic-regression.js';

function data(truth: string, n: number, seed: number) {
  const rng = createRng(seed);
  const x = Float64Array.from({ length: n }, () => -3 + 6 * rng.nextFloat());
  const y = Float64Array.from({ length: n }, () => 0.1 + 2.9 * rng.nextFloat());
  return { X: { x, y }, y: parseExpression(truth).evaluate({ x, y }) };
}

describe('RestartTracker', () => {
  it('restarts an island that added no hall-of-fame holder for the fraction, then waits again', () => {
    const t = new RestartTracker(2, 0.2, 3);
    t.record(0, true, 0.1);
    t.record(1, false, 0.1);
    // too early: fewer than 3 iterations since the start
    expect(t.due(1, 0.25, 2)).toBe(false);
    expect(t.due(1, 0.25, 3)).toBe(true);
    // island 0 contributed at 0.1: not before 0.3
    expect(t.due(0, 0.29, 3)).toBe(false);
    expect(t.due(0, 0.31, 3)).toBe(true);
    // a restarted island gets its 3 iterations and its fraction again
    expect(t.due(1, 0.5, 5)).toBe(false);
    expect(t.due(1, 0.5, 6)).toBe(true);
  });
});

describe('symbolicRegression restartStagnant', () => {
  const small = {
    binaryOperators: ['+', '-', '*', '/'] as ('+' | '-' | '*' | '/')[],
    maxSize: 12,
    populations: 4,
    populationSize: 20,
    ncyclesPerIteration: 40,
    iterations: 40,
    seed: 0,
  };

  it('restarts stagnating islands in the serial search, still finds the form, and is deterministic for a seed', async () => {
    const d = data('x*y + 2', 100, 1);
    const run = () => symbolicRegression({ ...d, ...small, restartStagnant: 0.1 });
    const a = await run();
    expect(a.islandRestarts).toBeGreaterThan(0);
    const X = data('x', 50, 9).X;
    const want = parseExpression('x*y + 2').evaluate(X);
    a.best.expr.evaluate(X).forEach((v, i) => {
      expect(Math.abs(v - (want[i] as number))).toBeLessThan(1e-9);
    });
    const b = await run();
    expect(b.hallOfFame.map((e) => `${e.complexity}:${e.loss}:${e.expr}`)).toEqual(
      a.hallOfFame.map((e) => `${e.complexity}:${e.loss}:${e.expr}`),
    );
    expect(b.islandRestarts).toBe(a.islandRestarts);
    const none = await symbolicRegression({ ...d, ...small, iterations: 5 });
    expect(none.islandRestarts).toBe(0);
    await expect(symbolicRegression({ ...d, restartStagnant: 0 })).rejects.toThrow(/restartStagnant/);
  });

  it('restarts islands in worker threads too', async () => {
    const d = data('x*y + 2', 60, 3);
    const r = await threaded({ ...d, ...small, iterations: 12, restartStagnant: 0.1, workers: 2 });
    expect(r.islandRestarts).toBeGreaterThan(0);
    expect(r.stopReason).toBe('iterations');
  });

  it("replaces a worker's island named in the step's restart list with a fresh random population", () => {
    const d = data('x*y + 2', 60, 3);
    const init = {
      type: 'init' as const,
      options: { ...d, ...small },
      islands: [0, 1],
      deadline: 8.64e15,
      maxEvals: Number.POSITIVE_INFINITY,
      stopFlag: new SharedArrayBuffer(4),
    };
    const step = (restart: number[]) => ({
      type: 'step' as const,
      iteration: 0,
      migrants: [],
      hofMigrants: [],
      holderLosses: [],
      restart,
    });
    const show = (g: IslandGroup, restart: number[]) =>
      g.step(step(restart)).islands.map((pop) => pop.map((m) => `${m.loss}`).join());
    const [plain, restarted] = [show(new IslandGroup(init), []), show(new IslandGroup(init), [1])];
    expect(restarted[0]).toBe(plain[0]);
    expect(restarted[1]).not.toBe(plain[1]);
  });
});

import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { defaultMinImprovement, StallMonitor } from './early-stop.js';
import { parseExpression } from './parse.js';
import { startClock } from './search-clock.js';
import { symbolicRegression } from './symbolic-regression.js';

function data(truth: string, n: number, seed: number, noise = 0) {
  const rng = createRng(seed);
  const x = Float64Array.from({ length: n }, () => -3 + 6 * rng.nextFloat());
  const y = Float64Array.from({ length: n }, () => 0.1 + 2.9 * rng.nextFloat());
  const clean = parseExpression(truth).evaluate({ x, y });
  return { X: { x, y }, y: clean.map((v) => v + noise * rng.nextNormal()) };
}

const front = (...entries: [number, number][]) =>
  entries.map(([complexity, loss]) => ({ tree: parseExpression('x').root, complexity, loss }));

describe('StallMonitor (earlyStop stall rules)', () => {
  it('counts a relative drop above minImprovement at any complexity, or a new complexity, as an improvement', () => {
    const m = new StallMonitor(10, 1e-30, 1e-3, 0.3, 0.1);
    expect(m.observe(front([1, 1], [3, 0.5]), 0.1)).toBe(true);
    // a drop of 0.05 % at complexity 3 is not an improvement
    expect(m.observe(front([1, 1], [3, 0.49975]), 0.2)).toBe(false);
    expect(m.shouldStop(0.35, () => false)).toBe(false);
    // still no improvement after 30 % of the budget since the last one (at 0.1): stop
    expect(m.shouldStop(0.4, () => false)).toBe(true);
    // a better entry at complexity 5 (beyond the front's last) improves the step function there
    expect(m.observe(front([1, 1], [3, 0.49975], [5, 0.3]), 0.45)).toBe(true);
    expect(m.shouldStop(0.6, () => false)).toBe(false);
    // at the noise floor the shorter patience applies
    expect(m.shouldStop(0.6, () => true)).toBe(true);
  });

  it('defaults minImprovement to max(1e-3, ln n / n)', () => {
    expect(defaultMinImprovement(100)).toBeCloseTo(Math.log(100) / 100, 12);
    expect(defaultMinImprovement(100000)).toBe(1e-3);
  });
});

describe('symbolicRegression earlyStop rule', () => {
  const base = {
    binaryOperators: ['+', '-', '*', '/'] as const,
    maxSize: 12,
    populations: 4,
    populationSize: 24,
    ncyclesPerIteration: 60,
    iterations: 400,
    seed: 0,
  };

  it('stops a search whose front stalls, after it found the form, deterministically for a seed', async () => {
    const run = () =>
      symbolicRegression({
        ...data('x*y + 2', 100, 1),
        ...base,
        binaryOperators: [...base.binaryOperators],
        earlyStop: { stall: 0.05 },
      });
    const a = await run();
    expect(a.stopReason).toBe('earlyStop');
    expect(a.iterations).toBeLessThan(400);
    const X = data('x', 50, 9).X;
    const want = parseExpression('x*y + 2').evaluate(X);
    a.best.expr.evaluate(X).forEach((v, i) => {
      expect(Math.abs(v - (want[i] as number))).toBeLessThan(1e-9);
    });
    const b = await run();
    expect(b.iterations).toBe(a.iterations);
    expect(b.hallOfFame.map((e) => `${e.expr}`)).toEqual(a.hallOfFame.map((e) => `${e.expr}`));
    // without the rule the same search runs all its iterations
    const full = await symbolicRegression({
      ...data('x*y + 2', 100, 1),
      ...base,
      binaryOperators: [...base.binaryOperators],
      iterations: a.iterations + 5,
    });
    expect(full.stopReason).toBe('iterations');
  });

  it('stops sooner at the noise floor (floorStall) than on a plain stall, and not when the floor is out of reach', async () => {
    const d = data('x*y + 2', 200, 3, 0.05);
    const opts = { ...d, ...base, binaryOperators: [...base.binaryOperators], iterations: 200 };
    const atFloor = await symbolicRegression({
      ...opts,
      noiseVariance: 0.0025 * 1.3,
      earlyStop: { stall: 1, floorStall: 0.05 },
    });
    expect(atFloor.stopReason).toBe('earlyStop');
    expect(atFloor.iterations).toBeLessThan(60);
    // a noise variance no model reaches: the floor rule never applies, the stall rule (1) never fires
    const noFloor = await symbolicRegression({
      ...opts,
      iterations: 40,
      noiseVariance: 1e-6,
      earlyStop: { stall: 1, floorStall: 0.05 },
    });
    expect(noFloor.stopReason).toBe('iterations');
  });

  it('rejects out-of-range rules and clocks with a message naming the option', async () => {
    const d = data('x + y', 20, 1);
    await expect(symbolicRegression({ ...d, earlyStop: { stall: 0 } })).rejects.toThrow(/earlyStop\.stall/);
    await expect(symbolicRegression({ ...d, earlyStop: { minImprovement: 2 } })).rejects.toThrow(/minImprovement/);
    // @ts-expect-error: a wrong clock name
    await expect(symbolicRegression({ ...d, clock: 'gpu' })).rejects.toThrow(/'clock' must be 'wall' or 'cpu'/);
  });
});

describe("clock 'cpu'", () => {
  it('counts the CPU seconds of the process and stops a search by them', async () => {
    const elapsed = startClock('cpu');
    let s = 0;
    for (let i = 0; i < 3e6; i++) s += Math.sqrt(i);
    expect(s).toBeGreaterThan(0);
    expect(elapsed()).toBeGreaterThan(0);
    const r = await symbolicRegression({
      ...data('x*y + 2', 100, 1),
      seed: 0,
      maxSize: 12,
      timeoutSeconds: 0.3,
      clock: 'cpu',
    });
    expect(r.stopReason).toBe('timeout');
  });
});

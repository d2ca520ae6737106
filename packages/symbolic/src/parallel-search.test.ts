import { existsSync, readdirSync } from 'node:fs';
import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { symbolicRegression } from './parallel-search.js';
import { parseExpression } from './parse.js';
import { simplify } from './simplify.js';

function data(truth: string, n: number, seed: number) {
  const rng = createRng(seed);
  const x = Float64Array.from({ length: n }, () => -3 + 6 * rng.nextFloat());
  const y = Float64Array.from({ length: n }, () => 0.1 + 2.9 * rng.nextFloat());
  return { X: { x, y }, y: parseExpression(truth).evaluate({ x, y }) };
}

/** OS threads of this process (Linux), to see worker threads start and stop. */
const threads = (): number => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : -1);

describe('symbolicRegression in worker threads (@odekit/symbolic/node)', () => {
  const small = { populations: 4, populationSize: 20, ncyclesPerIteration: 40, iterations: 3, maxSize: 12 };

  it('recovers x*y + 2 with a fixed seed in 2 threads, with the serial result shape, and stops its threads', async () => {
    const before = threads();
    let during = 0;
    const iterations: number[] = [];
    const result = await symbolicRegression({
      ...data('x*y + 2', 100, 1),
      seed: 0,
      maxSize: 16,
      timeoutSeconds: 20,
      workers: 2,
      earlyStop: (loss, complexity) => loss < 1e-20 && complexity <= 5,
      onProgress: (p) => {
        iterations.push(p.iteration);
        during = threads();
        expect(p.hallOfFame.length).toBeGreaterThan(0);
      },
    });
    const found = simplify(result.best.expr);
    const { X } = data('x', 50, 9);
    const want = parseExpression('x*y + 2').evaluate(X);
    found.evaluate(X).forEach((v, i) => {
      expect(Math.abs(v - (want[i] as number))).toBeLessThan(1e-9);
    });
    expect(found.complexity).toBeLessThanOrEqual(5);
    expect(result.stopReason).toBe('earlyStop');
    expect(iterations).toEqual(iterations.map((_, i) => i + 1));
    expect(result.iterations).toBe(iterations.length);
    expect(result.evaluations).toBeGreaterThan(0);
    // the documented shape: a front by increasing complexity with decreasing loss, and the selections
    const cs = result.hallOfFame.map((e) => e.complexity);
    expect(cs).toEqual([...cs].sort((a, b) => a - b));
    for (const e of result.hallOfFame) expect(Object.keys(e).sort()).toEqual(['complexity', 'expr', 'loss', 'score']);
    expect(result.hallOfFame).toContain(result.best);
    expect(result.accuracy.loss).toBe(Math.min(...result.hallOfFame.map((e) => e.loss)));
    if (before > 0) {
      expect(during).toBeGreaterThanOrEqual(before + 2);
      // terminated threads are gone once the promise settles (allow the OS a moment to reap them)
      for (let k = 0; k < 50 && threads() > before; k++) await new Promise((r) => setTimeout(r, 20));
      expect(threads()).toBe(before);
    }
  });

  it('is deterministic for a seed and a worker count', async () => {
    const d = data('x*y + 2', 60, 3);
    const run = () => symbolicRegression({ ...d, seed: 7, ...small, workers: 2 });
    const show = (r: Awaited<ReturnType<typeof run>>) =>
      r.hallOfFame.map((e) => `${e.complexity}:${e.loss}:${e.expr}`).join('\n');
    const [a, b] = [await run(), await run()];
    expect(show(a)).toBe(show(b));
    expect(a.evaluations).toBe(b.evaluations);
  });

  it('stops on timeoutSeconds and on an aborted signal, terminating its threads', async () => {
    const d = data('x*y + 2', 60, 3);
    const t0 = Date.now();
    const timed = await symbolicRegression({ ...d, workers: 2, iterations: 1e9, timeoutSeconds: 1.5 });
    expect(timed.stopReason).toBe('timeout');
    expect((Date.now() - t0) / 1000).toBeLessThan(8);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 800);
    const t1 = Date.now();
    const aborted = await symbolicRegression({ ...d, workers: 2, iterations: 1e9, signal: ac.signal });
    expect(aborted.stopReason).toBe('aborted');
    expect((Date.now() - t1) / 1000).toBeLessThan(8);
    expect(aborted.hallOfFame.length).toBeGreaterThan(0);
  });

  it('runs serially without workers and rejects bad options before starting threads', async () => {
    const d = data('x*y + 2', 60, 3);
    const serial = await symbolicRegression({ ...d, seed: 7, ...small });
    expect(serial.iterations).toBe(3);
    for (const workers of [0, 1.5, -2, 'many' as unknown as number]) {
      await expect(symbolicRegression({ ...d, ...small, workers })).rejects.toThrow(
        /'workers' must be an integer from 1 to 1024 or 'auto'.*leave it out for a serial search/,
      );
    }
    await expect(symbolicRegression({ ...d, ...small, maxSize: 0, workers: 2 })).rejects.toThrow(/maxSize/);
  });
});

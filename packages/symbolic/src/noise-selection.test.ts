import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { HallOfFame, scoreFront } from './hall-of-fame.js';
import { nearestNeighbours, residualNoise, selectByNoise } from './noise-selection.js';
import { parseExpression } from './parse.js';
import { searchResult, symbolicRegression } from './symbolic-regression.js';

function cloud(n: number, seed: number): Float64Array[] {
  const rng = createRng(seed);
  return [0, 1].map(() => Float64Array.from({ length: n }, () => 0.1 + 4.9 * rng.nextFloat()));
}

describe('noise-level model selection', () => {
  const n = 1000;
  const [x, y] = cloud(n, 1) as [Float64Array, Float64Array];
  const nn = nearestNeighbours([x, y], n);

  it('nearestNeighbours finds the nearest other row', () => {
    for (const i of [0, 17, 999]) {
      const d = (j: number) => ((x[i] as number) - (x[j] as number)) ** 2 + ((y[i] as number) - (y[j] as number)) ** 2;
      let best = i === 0 ? 1 : 0;
      for (let j = 0; j < n; j++) if (j !== i && d(j) < d(best)) best = j;
      expect(nn[i]).toBe(best);
    }
  });

  it('residualNoise measures white noise and not a smooth residual', () => {
    const rng = createRng(2);
    const sigma = 0.05;
    const white = Float64Array.from({ length: n }, () => sigma * rng.nextNormal());
    expect(residualNoise(white, nn) / sigma ** 2).toBeGreaterThan(0.85);
    expect(residualNoise(white, nn) / sigma ** 2).toBeLessThan(1.15);
    // a smooth residual of the same size (a slightly wrong form): its noise part is a few % of it
    const smooth = x.map((v, i) => sigma * Math.sqrt(2) * Math.sin(v + (y[i] as number)));
    const variance = smooth.reduce((a, v) => a + v * v, 0) / n;
    expect(residualNoise(smooth, nn) / variance).toBeLessThan(0.05);
  });

  // the front of a 40 s search on the talk's term y^0.9 - y + 0.5*y^2 at 1 % noise (losses over σ²)
  const front = [
    ['y', 1, 2319.7],
    ['sqrt(exp(y))', 3, 184.0],
    ['0.46*y^2.0127', 5, 1.18219],
    ['0.44*y^2.0384 + 0.06', 7, 1.00641],
    ['0.5*y*y - y + y^0.9', 11, 1.0],
    ['sqrt((0.196*y^2.2 + 0.053)*y^1.87)', 12, 0.99995],
    ['0.5*y*y - y + y^0.9 + 0.0001*y^3', 17, 0.9999],
  ] as const;
  const sigma2 = 0.0028;
  const hof = new HallOfFame(30);
  for (const [text, complexity, ratio] of front)
    hof.update({ tree: parseExpression(text).root, complexity, loss: ratio * sigma2 });
  const entries = scoreFront(hof.front(1e-30), 1e-30);

  it('selectByNoise picks the right form at the noise level where PySR’s score picks a simpler one', () => {
    expect(selectByNoise(entries, sigma2, 7500, 1e-30)?.expr.toString()).toBe('0.5*y*y - y + y^0.9');
    // a smooth residual (a network's error, a wrong form): no verdict, PySR's rule applies
    expect(selectByNoise(entries, 0.1 * sigma2, 7500, 1e-30)).toBeUndefined();
  });

  it('searchResult uses it for `best` when the residual is noise, PySR’s rule otherwise', () => {
    const run = { evaluations: 0, iterations: 0, elapsedSeconds: 0, stopReason: 'iterations' as const };
    const noisy = searchResult(hof, 1e-30, run, { residualNoise: { of: () => sigma2, rows: 7500 } });
    expect(noisy.best.expr.toString()).toBe('0.5*y*y - y + y^0.9');
    const smooth = searchResult(hof, 1e-30, run, { residualNoise: { of: () => 0, rows: 7500 } });
    expect(smooth.best.expr.toString()).toBe('0.46*y^2.0127');
  });

  it('a short seeded search at 1 % noise returns the talk’s form a*y^p + b*y + c*y^2 as best', async () => {
    const rng = createRng(4);
    const ys = Float64Array.from({ length: 5000 }, () => 0.1 + 4.9 * rng.nextFloat());
    const clean = parseExpression('y^0.9 - y + 0.5*y^2').evaluate({ y: ys });
    const rms = Math.sqrt(clean.reduce((a, v) => a + v * v, 0) / clean.length);
    const noisy = clean.map((v) => v + 0.01 * rms * rng.nextNormal());
    const result = await symbolicRegression({
      X: { y: ys },
      y: noisy,
      seed: 0,
      maxSize: 20,
      populations: 4,
      populationSize: 27,
      ncyclesPerIteration: 40,
      iterations: 2,
      binaryOperators: ['+', '-', '*', '^'],
    });
    // at 1 % noise on 5,000 rows the data pin p only to about ±0.15 (a·y^p + b·y with p near 1 and
    // a ≈ −b trades for y^0.9 − y), so the form is checked, not the constants: a fractional power of
    // y beside y and y² terms (PySR's score rule returns 0.46*y^2.01 here)
    const best = result.best.expr;
    const text = best.toString();
    const power = /y\^(-?[0-9.]+)/.exec(text);
    expect(power, text).not.toBeNull();
    const p = Number(power?.[1]);
    expect(p > 0.5 && p < 1.5 && p !== 1, text).toBe(true);
    expect(/y\*y|y\^2\b/.test(text), text).toBe(true);
    expect(best.variables.length === 1 && best.constants.length <= 4, text).toBe(true);
    const f = best.evaluate({ y: ys });
    const err = Math.sqrt(f.reduce((a, v, i) => a + (v - (clean[i] as number)) ** 2, 0) / f.length);
    expect(err / rms, text).toBeLessThan(2e-3);
    // the same search with PySR's rule returns a simpler near-miss; a bad rule name is refused
    const opts = { X: { y: ys }, y: noisy, seed: 0, maxSize: 20, populations: 4, populationSize: 27 };
    const pysr = await symbolicRegression({
      ...opts,
      ncyclesPerIteration: 40,
      iterations: 2,
      binaryOperators: ['+', '-', '*', '^'],
      modelSelection: 'pysr',
    });
    expect(pysr.best.complexity).toBeLessThan(result.best.complexity);
    await expect(symbolicRegression({ ...opts, modelSelection: 'bic' as never })).rejects.toThrow(/modelSelection/);
  });
});

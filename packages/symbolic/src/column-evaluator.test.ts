import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnEvaluator } from './column-evaluator.js';
import { binaryScalar, fastPow, unaryScalar } from './kernels.js';
import type { ExprNode } from './node.js';
import { parseExpression } from './parse.js';

/** Row-by-row reference evaluation with Math (Math.pow for ^). */
function evalRow(n: ExprNode, vars: Record<string, number>): number {
  switch (n.kind) {
    case 'const':
      return n.value;
    case 'var':
      return vars[n.name] as number;
    case 'unary':
      return unaryScalar(n.op, evalRow(n.arg, vars));
    case 'binary':
      return binaryScalar(n.op, evalRow(n.left, vars), evalRow(n.right, vars));
    case 'call':
      throw new Error('evalRow: calls are not evaluated here');
  }
}

describe('ColumnEvaluator', () => {
  const x = Float64Array.from([-1, 0.5, 2, 3]);
  const y = Float64Array.from([0.3, 1, -2, 4]);

  it('matches row-by-row Math evaluation for every kernel shape (column/scalar on either side)', () => {
    const srcs = [
      'x^2',
      'x^3',
      'x^-1',
      'x^1',
      'x^0.5',
      'x^-0.5',
      'x^-2',
      'x^4',
      '2^x',
      'x^y',
      'y/x',
      '3/x',
      'x/3',
      '3 - x',
      'x - 3',
      'inv(x)*cube(y)',
      'tanh(x) + abs(y)',
      'exp(x) - sin(y) * cos(x)',
      'exp(x*y) / cos(3*y)',
    ];
    const ev = new ColumnEvaluator({ x, y });
    for (const src of srcs) {
      const out = ev.evaluate(parseExpression(src).root);
      x.forEach((xi, i) => {
        const yi = y[i] as number;
        const want = evalRow(parseExpression(src).root, { x: xi, y: yi });
        if (Number.isNaN(want)) expect(out[i]).toBeNaN();
        else expect(Math.abs((out[i] as number) - want)).toBeLessThanOrEqual(1e-14 * Math.abs(want));
      });
    }
  });

  it("the special-cased constant exponents give Math.pow's values at the edges (±0, ±∞, NaN, negatives)", () => {
    const edge = Float64Array.from([
      -0,
      0,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      -4,
      1e-300,
      7,
    ]);
    const ev = new ColumnEvaluator({ x: edge });
    for (const p of [0.5, -0.5, 2, 3, 4, -1, -2, 1]) {
      const out = ev.evaluate(parseExpression(`x^${p}`).root);
      edge.forEach((v, i) => {
        const want = v ** p;
        const got = out[i] as number;
        if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) expect(got, `${v}^${p}`).toBe(want);
        else expect(Math.abs(got - want), `${v}^${p}`).toBeLessThanOrEqual(1e-14 * Math.abs(want));
      });
    }
  });

  it('abort mode gives the same columns with and without the 32-row probe', () => {
    const n = 500;
    const xs = Float64Array.from({ length: n }, (_, i) => -1 + (4 * i) / n);
    const ys = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const srcs = ['log(x) + y', 'sqrt(y - 2) * x', 'x^y', 'x^0.5 + y', 'exp(x) * sin(y)', 'log(x + 2)', 'y / x'];
    const probing = new ColumnEvaluator({ x: xs, y: ys }, n, { abortOnNonFinite: true });
    // the same rows behind a shorter evaluator (under 128 rows: no probe) for each block
    for (const src of srcs) {
      const got = probing.evaluate(parseExpression(src).root);
      const want = new Float64Array(n);
      let aborted = false;
      for (let k = 0; k < n; k += 100) {
        const part = new ColumnEvaluator({ x: xs.slice(k, k + 100), y: ys.slice(k, k + 100) }, 100, {
          abortOnNonFinite: true,
        }).evaluate(parseExpression(src).root);
        if (Number.isNaN(part[0]) && part.every(Number.isNaN)) aborted = true;
        want.set(part, k);
      }
      if (aborted) want.fill(Number.NaN);
      expect([...got], src).toEqual([...want]);
    }
  });

  it('keeps per-row NaN by default and aborts the whole column in abortOnNonFinite mode', () => {
    const e = parseExpression('log(x) + y').root;
    const plain = new ColumnEvaluator({ x, y }).evaluate(e);
    expect(plain[0]).toBeNaN();
    expect(plain[1]).toBeCloseTo(Math.log(0.5) + 1, 14);
    const aborting = new ColumnEvaluator({ x, y }, undefined, { abortOnNonFinite: true });
    expect([...aborting.evaluate(e)].every(Number.isNaN)).toBe(true);
    // and it recovers for the next expression
    expect([...aborting.evaluate(parseExpression('x*y').root)]).toEqual([-0.3, 0.5, -4, 12]);
  });

  it('fastPow agrees with Math.pow', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: -8, max: 8, noNaN: true }),
        (a, b) => {
          const want = a ** b;
          const got = fastPow(a, b);
          if (Number.isNaN(want)) return Number.isNaN(got);
          if (!Number.isFinite(want)) return got === want;
          return Math.abs(got - want) <= 1e-13 * Math.abs(want) + 1e-300;
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });

  it('caches an operator over a whole variable column, reuses it across trees and refreshes it on columnsChanged', () => {
    const n = 300;
    const xs = Float64Array.from({ length: n }, (_, i) => 0.1 + i / 37);
    const ys = Float64Array.from({ length: n }, (_, i) => Math.sin(i) - 0.2);
    const ev = new ColumnEvaluator({ x: xs, y: ys }, n, { abortOnNonFinite: true });
    const fresh = (src: string) =>
      new ColumnEvaluator({ x: xs.slice(), y: ys.slice() }, n, { abortOnNonFinite: true }).evaluate(
        parseExpression(src).root,
      );
    // the same cached sin(x), log(x), sqrt(y) columns inside different trees, and alone
    for (const src of [
      'sin(x) * 2',
      'sin(x) + log(x)',
      'log(x)',
      'sqrt(y) + x',
      'x - sqrt(y)',
      'sin(x)',
      'exp(x) / cos(y)',
    ]) {
      expect([...ev.evaluate(parseExpression(src).root)], src).toEqual([...fresh(src)]);
    }
    // the cached column is never overwritten by an evaluation that uses it
    const sinX = fresh('sin(x)');
    ev.evaluate(parseExpression('sin(x) * 3 + 1').root);
    expect([...ev.evaluate(parseExpression('sin(x)').root)]).toEqual([...sinX]);
    // refilled in place: stale until columnsChanged, then the new values
    xs.set(xs.map((v) => v + 1));
    ev.columnsChanged();
    for (const src of ['sin(x) * 2', 'log(x)', 'sqrt(y) + x']) {
      expect([...ev.evaluate(parseExpression(src).root)], src).toEqual([...fresh(src)]);
    }
  });

  it('aborts on a cached risky column by the rows it is evaluated on (probe and full)', () => {
    const n = 200;
    // negative only past row 100: the 32-row probe passes, the full evaluation aborts
    const xs = Float64Array.from({ length: n }, (_, i) => (i < 100 ? 1 + i : -1));
    const ev = new ColumnEvaluator({ x: xs }, n, { abortOnNonFinite: true });
    for (let round = 0; round < 2; round++) {
      expect([...ev.evaluate(parseExpression('log(x) + 1').root)].every(Number.isNaN)).toBe(true);
      expect([...ev.evaluate(parseExpression('sqrt(x) * 2').root)].every(Number.isNaN)).toBe(true);
      expect(ev.evaluate(parseExpression('x * 2').root)[0]).toBe(2);
    }
    // without abort mode the cached column keeps its per-row values
    const plain = new ColumnEvaluator({ x: xs }, n);
    const got = plain.evaluate(parseExpression('log(x)').root);
    expect(got[5]).toBe(Math.log(6));
    expect(got[150]).toBeNaN();
  });

  it('rejects columns of the wrong type or length', () => {
    expect(() => new ColumnEvaluator({ x: [1, 2] as unknown as Float64Array })).toThrow(/Float64Array/);
    expect(() => new ColumnEvaluator({ x, y: new Float64Array(2) })).toThrow(/length 2, expected 4/);
  });
});

import { createRng } from '@odekit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ColumnEvaluator } from './column-evaluator.js';
import { binary, constant, type ExprNode, unary, variable } from './node.js';
import { parseExpression } from './parse.js';
import { ProgramRunner } from './program-evaluator.js';
import { setSymbolicWasmEnabled, wasmKernelsOn } from './wasm-kernels.js';

const BINARY = ['+', '-', '*', '/', '^'] as const;
const UNARY = ['exp', 'log', 'sin', 'cos', 'sqrt', 'neg', 'square', 'cube', 'inv', 'abs'] as const;
/** Constants that hit every special case of `^` (plain exponents, bases ≤ 0), and others. */
const CONSTANTS = [2, 3, 4, 1, -1, -2, 0.5, -0.5, 0, 1.7, -0.8, 0.3];

/** A random tree of `size` nodes over x and y, every operator and operand shape. */
function randomTree(size: number, next: () => number): ExprNode {
  if (size === 1) {
    const r = next();
    if (r < 0.5) return variable(r < 0.25 ? 'x' : 'y');
    return constant(CONSTANTS[Math.floor(next() * CONSTANTS.length)] as number);
  }
  if (size === 2 || next() < 0.3) {
    return unary(UNARY[Math.floor(next() * UNARY.length)] as (typeof UNARY)[number], randomTree(size - 1, next));
  }
  const left = 1 + Math.floor(next() * (size - 2));
  return binary(
    BINARY[Math.floor(next() * BINARY.length)] as (typeof BINARY)[number],
    randomTree(left, next),
    randomTree(size - 1 - left, next),
  );
}

/** The column path's values: a fresh evaluator's first evaluation never uses the program runner. */
function reference(columns: Record<string, Float64Array>, n: number, abort: boolean, tree: ExprNode): Float64Array {
  return new ColumnEvaluator(columns, n, { abortOnNonFinite: abort }).evaluate(tree);
}

/** mseOf's summation order (objective.ts), times n. */
function fourSum(f: Float64Array, y: Float64Array): number {
  const s = new Float64Array(4);
  const m = f.length & ~3;
  for (let i = 0; i < f.length; i++) {
    const d = (f[i] as number) - (y[i] as number);
    const j = i < m ? i & 3 : 0;
    s[j] = (s[j] as number) + d * d;
  }
  return (s[0] as number) + (s[1] as number) + ((s[2] as number) + (s[3] as number));
}

/** Same doubles (NaN equal to NaN). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));
}

describe.runIf(wasmKernelsOn())('the whole-tree WebAssembly evaluator (program-evaluator.ts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    setSymbolicWasmEnabled(true);
  });

  it('gives the column path’s values bit for bit, and its fused squared error mseOf’s sum, on random trees (edge values, both modes, block edges)', () => {
    const ran = vi.spyOn(ProgramRunner.prototype, 'evaluate');
    const rng = createRng(5);
    const edges = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -4, 1e-310, 800];
    let trees = 0;
    let aborted = 0;
    for (const n of [1, 3, 4, 7, 255, 257, 600]) {
      const x = Float64Array.from({ length: n }, (_, i) =>
        i < edges.length && n > 8 ? (edges[i] as number) : -3 + 8 * rng.nextFloat(),
      );
      const columns = { x, y: Float64Array.from({ length: n }, () => 0.1 + 4 * rng.nextFloat()) };
      const target = Float64Array.from({ length: n }, () => rng.nextFloat());
      for (const abort of [false, true]) {
        const ev = new ColumnEvaluator(columns, n, { abortOnNonFinite: abort });
        ev.evaluate(constant(0));
        for (let k = 0; k < 60; k++) {
          const tree = randomTree(1 + Math.floor(rng.nextFloat() * 16), () => rng.nextFloat());
          const want = reference(columns, n, abort, tree);
          const got = ev.evaluate(tree);
          expect(sameValues(got, want), `${n} rows, ${parseExpressionText(tree)}`).toBe(true);
          const sse = ev.sumSquaredError(tree, target);
          expect(
            Object.is(sse, fourSum(want, target)) || (Number.isNaN(sse) && Number.isNaN(fourSum(want, target))),
          ).toBe(true);
          trees++;
          if (abort && Number.isNaN(want[0] as number) && want.every((v) => Number.isNaN(v))) aborted++;
        }
      }
    }
    // the runner ran (and took) most of them, and the comparison saw aborts
    const taken = ran.mock.results.filter((r) => r.value === true).length;
    expect(taken).toBeGreaterThan(0.8 * trees);
    expect(aborted).toBeGreaterThan(20);
  });

  it('leaves what it does not run to the column path (tanh, a negative base, calls) with the same values and errors', () => {
    const x = Float64Array.from({ length: 300 }, (_, i) => 0.01 + i / 100);
    const ev = new ColumnEvaluator({ x }, 300, { abortOnNonFinite: true });
    ev.evaluate(constant(0));
    const ran = vi.spyOn(ProgramRunner.prototype, 'evaluate');
    for (const src of ['tanh(x) + 1', '(0 - 2)^x', 'x*1', 'sin(x)']) {
      const tree = parseExpression(src).root;
      expect(sameValues(ev.evaluate(tree), reference({ x }, 300, true, tree))).toBe(true);
    }
    expect(ran.mock.results.map((r) => r.value)).toEqual([false, false, true, true]);
    expect(() => ev.evaluate(parseExpression('x + z').root)).toThrow(/no data for variable 'z'/);
    expect(() => ev.evaluate(parseExpression('NN(x) + 1', { functions: ['NN'] }).root)).toThrow(/replaceCalls/);
    expect(() => ev.sumSquaredError(parseExpression('x').root, new Float64Array(3))).toThrow(
      /y has length 3, expected 300/,
    );
  });

  it('reads refilled columns and targets after columnsChanged (cached operator columns dropped)', () => {
    const n = 700;
    const x = Float64Array.from({ length: n }, (_, i) => 0.5 + i / 100);
    const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const ev = new ColumnEvaluator({ x }, n, { abortOnNonFinite: true });
    const tree = parseExpression('log(x) * x^1.3 + sin(x)').root;
    ev.evaluate(tree);
    ev.sumSquaredError(tree, y);
    for (let i = 0; i < n; i++) {
      x[i] = 3 + i / 7;
      y[i] = Math.cos(i);
    }
    ev.columnsChanged();
    const want = reference({ x: x.slice() }, n, true, tree);
    expect(sameValues(ev.evaluate(tree), want)).toBe(true);
    expect(ev.sumSquaredError(tree, y)).toBe(fourSum(want, y));
    // a log of a non-positive column aborts the whole result, as in the column path
    x[5] = -1;
    ev.columnsChanged();
    expect(ev.evaluate(tree).every((v) => Number.isNaN(v))).toBe(true);
    expect(ev.sumSquaredError(tree, y)).toBeNaN();
  });

  it('keeps its memory bounded: repeated evaluations and columnsChanged reuse the same bytes', () => {
    const n = 3000;
    const x = Float64Array.from({ length: n }, (_, i) => 0.1 + i / 300);
    const ev = new ColumnEvaluator({ x }, n, { abortOnNonFinite: true });
    const trees = ['exp(x) + log(x)*sin(x)', 'cos(x)/sqrt(x) - x^1.5', 'x*x + 2'].map((s) => parseExpression(s).root);
    const y = new Float64Array(n);
    const round = () => {
      for (const t of trees) {
        ev.evaluate(t);
        ev.sumSquaredError(t, y);
      }
      ev.columnsChanged();
    };
    round();
    const runner = (ev as unknown as { runner: ProgramRunner }).runner;
    expect(runner).toBeInstanceOf(ProgramRunner);
    const bytes = runner.memoryBytes;
    for (let k = 0; k < 20; k++) round();
    expect(runner.memoryBytes).toBe(bytes);
  });

  it('grows its memory for many cached columns of long data, and turns off with setSymbolicWasmEnabled(false)', () => {
    const n = 20_000;
    const cols = { a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      cols.a[i] = 0.1 + i / 1000;
      cols.b[i] = Math.cos(i);
      cols.c[i] = i % 7;
    }
    const ev = new ColumnEvaluator(cols, n);
    const tree = parseExpression('exp(b) + log(a)*sin(c) - cos(a)/sqrt(a) + sin(b)*exp(c/9) + a^b').root;
    ev.evaluate(constant(0));
    expect(sameValues(ev.evaluate(tree), reference(cols, n, false, tree))).toBe(true);
    const ran = vi.spyOn(ProgramRunner.prototype, 'evaluate');
    setSymbolicWasmEnabled(false);
    const js = ev.evaluate(tree);
    expect(ran).not.toHaveBeenCalled();
    // the JavaScript loops' log is Math.log (within 1 ulp of the module's)
    const wasm = reference(cols, n, false, tree);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const v = js[i] as number;
      worst = Math.max(worst, Math.abs(v - (wasm[i] as number)) / Math.max(Math.abs(v), 1e-300));
    }
    expect(worst).toBeLessThanOrEqual(1e-13);
  });
});

function parseExpressionText(tree: ExprNode): string {
  return JSON.stringify(tree).slice(0, 200);
}

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ColumnEvaluator } from './column-evaluator.js';
import { colColKernel, colScalarKernel, scalarColKernel, unaryKernel } from './kernels.js';
import { parseExpression } from './parse.js';
import { setSymbolicWasmEnabled, wasmKernelsOn } from './wasm-kernels.js';

/** Deterministic uniform samples in [lo, hi) (Park–Miller), with special values spliced in. */
function column(lo: number, hi: number, count: number, seed: number, withSpecial = true): Float64Array {
  const out = new Float64Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 16807) % 2147483647;
    out[i] = lo + ((hi - lo) * s) / 2147483647;
  }
  const special = [0, -0, Infinity, -Infinity, Number.NaN, 1e-310, -1, 710, -710, 1e7, -3, 1, 2.5e-308, Math.PI / 2];
  if (withSpecial)
    special.forEach((v, i) => {
      out[(i * 37) % count] = v;
    });
  return out;
}

/** Runs `f` with the WebAssembly kernels on and then off; returns both outputs. */
function both(f: (o: Float64Array) => void, n: number): { wasm: Float64Array; js: Float64Array } {
  const wasm = new Float64Array(n);
  const js = new Float64Array(n);
  setSymbolicWasmEnabled(true);
  f(wasm);
  setSymbolicWasmEnabled(false);
  f(js);
  setSymbolicWasmEnabled(true);
  return { wasm, js };
}

/** Largest relative difference, NaN and ±∞ required to agree exactly. */
function maxRel(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, Math.abs(x - y) / Math.abs(y));
  }
  return worst;
}

// 9,001 rows: two chunks of the module's 4,096 rows and an odd remainder
const N = 9001;

describe('WebAssembly column kernels', () => {
  afterEach(() => {
    setSymbolicWasmEnabled(true);
  });

  it('the committed module is what assembly/sr-kernels.ts compiles to', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    expect(() =>
      execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('load in Node and switch off', () => {
    expect(wasmKernelsOn()).toBe(true);
    expect(setSymbolicWasmEnabled(false)).toBe(true);
    expect(wasmKernelsOn()).toBe(false);
  });

  it('give the JavaScript kernels’ exp, sin and cos bit for bit in range, all four within 1 ulp', () => {
    for (const [lo, hi] of [
      [0.1, 5],
      [-10, 10],
      [-700, 700],
    ] as const) {
      const clean = column(lo, hi, N, 7, false);
      for (const op of ['exp', 'sin', 'cos']) {
        const { wasm, js } = both((o) => unaryKernel(op, clean, o, N), N);
        expect(maxRel(wasm, js), `${op} on [${lo}, ${hi}]`).toBe(0);
      }
    }
    // NaN, ±∞, zeros, subnormals, |x| > 708 or > 1e6: Math of AssemblyScript (musl) against V8's
    for (const [lo, hi] of [
      [0.1, 5],
      [-10, 10],
      [-800, 800],
    ] as const) {
      const a = column(lo, hi, N, 7);
      for (const op of ['exp', 'sin', 'cos']) {
        const { wasm, js } = both((o) => unaryKernel(op, a, o, N), N);
        expect(maxRel(wasm, js), `${op} on [${lo}, ${hi}] with special values`).toBeLessThanOrEqual(2.3e-16);
      }
      const { wasm, js } = both((o) => unaryKernel('log', a, o, N), N);
      expect(maxRel(wasm, js), `log on [${lo}, ${hi}]`).toBeLessThanOrEqual(2.3e-16);
    }
  });

  it('give a^b within float rounding of the JavaScript kernels (errors of log times |b·log a|)', () => {
    const a = column(-5, 20, N, 3);
    const b = column(-3, 3, N, 5);
    // relative error of exp(b·log a) is about ulp·|b·log a| ≤ 2.2e-16·3·log(1e7) ≈ 1.1e-14 here
    const cc = both((o) => colColKernel('^', a, b, o, N), N);
    expect(maxRel(cc.wasm, cc.js)).toBeLessThan(2e-14);
    const cs = both((o) => colScalarKernel('^', a, 1.37, o, N), N);
    expect(maxRel(cs.wasm, cs.js)).toBeLessThan(2e-14);
    const sc = both((o) => scalarColKernel('^', 2.5, b, o, N), N);
    expect(maxRel(sc.wasm, sc.js)).toBe(0);
  });

  it('leave the evaluator’s losses within float rounding and its aborts unchanged', () => {
    const cols = { x: column(0.1, 5, 1000, 11), y: column(-2, 3, 1000, 13) };
    for (const c of [cols.x, cols.y]) for (let i = 0; i < 1000; i++) if (!Number.isFinite(c[i] as number)) c[i] = 0.5;
    const exprs = [
      'x^1.7 + sin(y)*cos(x)',
      'x^y - exp(0.3*y)',
      '(x + y)^0.5 * log(x)',
      'sqrt(y) + 1',
      'y^1.3',
      '2^(x*y) - cos(y^2)',
      'exp(sin(x) * 3) / (1 + x^-0.7)',
    ];
    for (const text of exprs) {
      const tree = parseExpression(text).root;
      for (const abortOnNonFinite of [true, false]) {
        const { wasm, js } = both((o) => new ColumnEvaluator(cols, 1000, { abortOnNonFinite }).evaluate(tree, o), 1000);
        expect(maxRel(wasm, js), text).toBeLessThan(1e-14);
      }
    }
  });
});

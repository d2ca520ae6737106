import { describe, expect, it } from 'vitest';
import { BINARY } from '../host-ops/binary.js';
import { UNARY } from '../host-ops/unary.js';
import { Arena, f32View } from './arena.js';
import { WASM_BINARY, WASM_UNARY } from './module.js';
import * as codes from './op-codes.js';

const N = 8;
const xs = [-2, -0.5, 0, 0.25, 1, 1.5, 3, -1e-3];
const ys = [0.5, -3, 2, 0.25, -1, 4, -0.125, 7];

/** Runs one op of the WebAssembly module on `xs` (and `ys`) and returns its output. */
function runModule(kind: 'unary' | 'binary', code: number): Float32Array {
  const arena = new Arena();
  const k = arena.k;
  if (k === null) throw new Error('this test needs WebAssembly SIMD');
  let a: Float32Array = new Float32Array(0);
  let b: Float32Array = new Float32Array(0);
  let y: Float32Array = new Float32Array(0);
  const pa = arena.reserve(4 * N, (buf, p) => {
    a = f32View(buf, p, N);
  });
  const pb = arena.reserve(4 * N, (buf, p) => {
    b = f32View(buf, p, N);
  });
  const py = arena.reserve(4 * N, (buf, p) => {
    y = f32View(buf, p, N);
  });
  arena.commit();
  a.set(xs);
  b.set(ys);
  if (kind === 'unary') k.unary(code, pa, py, N);
  else k.binary(code, pa, pb, py, N);
  return y.slice();
}

describe('the op codes shared by TypeScript and AssemblyScript', () => {
  it('are distinct per table and cover only kernels the JavaScript side implements', () => {
    const unary = Object.values(WASM_UNARY);
    const binary = Object.values(WASM_BINARY);
    expect(new Set(unary).size).toBe(unary.length);
    expect(new Set(binary).size).toBe(binary.length);
    expect(Object.keys(WASM_UNARY).filter((k) => UNARY[k] === undefined)).toEqual([]);
    expect(Object.keys(WASM_BINARY).filter((k) => BINARY[k] === undefined)).toEqual([]);
    // every constant of op-codes.ts is in a table
    expect(Object.values(codes).length).toBe(unary.length + binary.length);
  });

  it('select in the compiled module the op the TypeScript side names (module vs JavaScript loop)', () => {
    for (const [name, code] of Object.entries(WASM_UNARY)) {
      const want = new Float32Array(N);
      (UNARY[name] as (typeof UNARY)[string]).fwd(Float32Array.from(xs), want, N, 0, 0);
      const got = Array.from(runModule('unary', code));
      expect([name, got]).toEqual([
        name,
        Array.from(want).map((w, i) => (Math.abs((got[i] as number) - w) <= 1e-6 * (1 + Math.abs(w)) ? got[i] : w)),
      ]);
    }
    for (const [name, code] of Object.entries(WASM_BINARY)) {
      const want = new Float32Array(N);
      (BINARY[name] as (typeof BINARY)[string]).fwd(Float32Array.from(xs), Float32Array.from(ys), want, N);
      expect([name, Array.from(runModule('binary', code))]).toEqual([name, Array.from(want)]);
    }
  });
});

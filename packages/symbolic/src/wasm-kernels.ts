// The WebAssembly column kernels (assembly/sr-kernels.ts: exp, log, sin, cos and a^b, two rows per
// SIMD vector) behind the column evaluator's transcendental loops. Each call copies chunks of at
// most `chunk` rows into the module's scratch columns and the results back out (a copy costs a
// fraction of a nanosecond per row, the functions tens). exp, sin and cos give the JavaScript
// kernels' values bit for bit; log (and so a^b) is fdlibm's algorithm, within 1 ulp of Math.log.
import { EXP_T_HI, EXP_T_LO } from './fast-math.js';
import { SR_KERNELS_WASM_BASE64 } from './sr-kernels-wasm.js';

/** The module's exports. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  scratch(): number;
  chunk(): number;
  unary(op: number, n: number): void;
  powColCol(n: number): void;
  powColScalar(b: number, n: number): void;
  expScaled(la: number, n: number): void;
  powLoggedColCol(n: number): void;
  powLoggedColScalar(b: number, n: number): void;
  block(): number;
  heapBase(): number;
  run(prog: number, count: number, n: number, res: number, y: number): number;
}

/** The instantiated module with views on its scratch columns A, B, C and O. */
interface Kernels {
  readonly fns: KernelExports;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
  readonly o: Float64Array;
  readonly chunk: number;
  /** Prefixes of `o` by length (a view is an allocation: made once per row count). */
  readonly oPrefix: Map<number, Float64Array>;
}

/** Op codes of the module's `unary`. */
const UNARY_CODES: Readonly<Record<string, number>> = Object.freeze({ exp: 0, log: 1, sin: 2, cos: 3 });

// The module, instantiated once per realm on first use (`null` where WebAssembly SIMD is missing),
// and the switch that turns it off for tests and comparisons. The scratch memory is only touched
// inside one synchronous kernel call, so sharing it is safe.
const state: {
  kernels: Kernels | null | undefined;
  module: WebAssembly.Module | null | undefined;
  disabled: boolean;
} = { kernels: undefined, module: undefined, disabled: false };

/** The compiled module (once per realm), null where WebAssembly SIMD (or synchronous compilation) is missing. */
function compiledModule(): WebAssembly.Module | null {
  if (state.module === undefined) {
    try {
      const text = atob(SR_KERNELS_WASM_BASE64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      state.module = new WebAssembly.Module(bytes);
    } catch {
      state.module = null;
    }
  }
  return state.module;
}

/**
 * A fresh instance of the kernels module (its own memory, exp table filled), or null without
 * WebAssembly SIMD. The program evaluator (program-evaluator.ts) takes one per column evaluator.
 */
export function newKernelInstance(): KernelExports | null {
  const module = compiledModule();
  if (module === null) return null;
  try {
    const fns = new WebAssembly.Instance(module).exports as unknown as KernelExports;
    const base = fns.scratch();
    const table = new Float64Array(fns.memory.buffer, base + 4 * fns.chunk() * 8, 256);
    // Tang's table 2^(j/128) as hi + lo, the very doubles fastExp uses
    table.set(EXP_T_HI);
    table.set(EXP_T_LO, 128);
    return fns;
  } catch {
    return null;
  }
}

function instantiate(): Kernels | null {
  try {
    const fns = newKernelInstance();
    if (fns === null) return null;
    const chunk = fns.chunk();
    const base = fns.scratch();
    const buf = fns.memory.buffer;
    return {
      fns,
      a: new Float64Array(buf, base, chunk),
      b: new Float64Array(buf, base + chunk * 8, chunk),
      c: new Float64Array(buf, base + 2 * chunk * 8, chunk),
      o: new Float64Array(buf, base + 3 * chunk * 8, chunk),
      chunk,
      oPrefix: new Map(),
    };
  } catch {
    return null;
  }
}

/** Copies rows [s, s + m) of `src` to the start of `dst` (no view allocated for a whole column). */
function copyIn(dst: Float64Array, src: Float64Array, s: number, m: number): void {
  if (s === 0 && m === src.length) dst.set(src);
  else if (m <= 64)
    for (let i = 0; i < m; i++) dst[i] = src[s + i] as number; // a probe's rows: no view made
  else dst.set(src.subarray(s, s + m));
}

/** Copies the first m rows of the module's output column into `o` from row s. */
function copyOut(k: Kernels, o: Float64Array, s: number, m: number): void {
  let v = m === k.chunk ? k.o : k.oPrefix.get(m);
  if (v === undefined) {
    v = k.o.subarray(0, m);
    if (k.oPrefix.size < 64) k.oPrefix.set(m, v);
  }
  o.set(v, s);
}

function kernels(): Kernels | null {
  if (state.disabled) return null;
  if (state.kernels === undefined) state.kernels = instantiate();
  return state.kernels;
}

/**
 * Turns the WebAssembly column kernels of the symbolic evaluator off (`false`) or back on, for
 * tests and comparisons: the evaluator then runs its JavaScript loops. Returns the previous
 * setting. Where WebAssembly SIMD is missing, the JavaScript loops run either way.
 *
 * @example
 * ```ts
 * import { setSymbolicWasmEnabled } from '@odekit/symbolic';
 * const was = setSymbolicWasmEnabled(false); // JavaScript loops from here on
 * setSymbolicWasmEnabled(was);
 * ```
 */
export function setSymbolicWasmEnabled(enabled: boolean): boolean {
  const was = !state.disabled;
  state.disabled = !enabled;
  return was;
}

/** o[0..n) = op(a[0..n)) for op in exp, log, sin, cos; false (nothing done) without the module. */
export function wasmUnary(op: string, a: Float64Array, o: Float64Array, n: number): boolean {
  const k = kernels();
  const code = UNARY_CODES[op];
  if (k === null || code === undefined) return false;
  for (let s = 0; s < n; s += k.chunk) {
    const m = Math.min(k.chunk, n - s);
    copyIn(k.a, a, s, m);
    k.fns.unary(code, m);
    copyOut(k, o, s, m);
  }
  return true;
}

/** o = a^b over n rows, both columns (see {@link wasmUnary}). */
export function wasmPowColCol(a: Float64Array, b: Float64Array, o: Float64Array, n: number): boolean {
  const k = kernels();
  if (k === null) return false;
  for (let s = 0; s < n; s += k.chunk) {
    const m = Math.min(k.chunk, n - s);
    copyIn(k.a, a, s, m);
    copyIn(k.b, b, s, m);
    k.fns.powColCol(m);
    copyOut(k, o, s, m);
  }
  return true;
}

/** o = a^b over n rows, a column to a constant power (see {@link wasmUnary}). */
export function wasmPowColScalar(a: Float64Array, b: number, o: Float64Array, n: number): boolean {
  const k = kernels();
  if (k === null) return false;
  for (let s = 0; s < n; s += k.chunk) {
    const m = Math.min(k.chunk, n - s);
    copyIn(k.a, a, s, m);
    k.fns.powColScalar(b, m);
    copyOut(k, o, s, m);
  }
  return true;
}

/** o = exp(b·la) over n rows: a^b for a constant base a > 0, la = log a (see {@link wasmUnary}). */
export function wasmExpScaled(la: number, b: Float64Array, o: Float64Array, n: number): boolean {
  const k = kernels();
  if (k === null) return false;
  for (let s = 0; s < n; s += k.chunk) {
    const m = Math.min(k.chunk, n - s);
    copyIn(k.b, b, s, m);
    k.fns.expScaled(la, m);
    copyOut(k, o, s, m);
  }
  return true;
}

/** Whether the WebAssembly kernels run (available and not switched off). */
export function wasmKernelsOn(): boolean {
  return kernels() !== null;
}

/**
 * o = a^b over n rows where `la` is the log of the column `a` as {@link wasmUnary} computed it (a
 * data column's cached log): the values of {@link wasmPowColCol} / {@link wasmPowColScalar}
 * without computing the log again. `b` a column or a constant.
 */
export function wasmPowLogged(
  a: Float64Array,
  la: Float64Array,
  b: Float64Array | number,
  o: Float64Array,
  n: number,
): boolean {
  const k = kernels();
  if (k === null) return false;
  for (let s = 0; s < n; s += k.chunk) {
    const m = Math.min(k.chunk, n - s);
    copyIn(k.a, a, s, m);
    copyIn(k.c, la, s, m);
    if (typeof b === 'number') k.fns.powLoggedColScalar(b, m);
    else {
      copyIn(k.b, b, s, m);
      k.fns.powLoggedColCol(m);
    }
    copyOut(k, o, s, m);
  }
  return true;
}

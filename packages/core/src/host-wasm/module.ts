import { HOST_OPS_WASM_BASE64 } from './host-ops-wasm.js';
import * as op from './op-codes.js';

/** The exports of assembly/host-ops.ts (pointers are byte offsets into `memory`). */
export interface HostOpsModule {
  memory: WebAssembly.Memory;
  binary(op: number, a: number, b: number, y: number, n: number): void;
  unary(op: number, x: number, y: number, n: number): void;
  axpy64(c: number, g: number, s: number, n: number): void;
  mulAcc(c: number, g: number, b: number, n: number): void;
  tanhBack(c: number, g: number, y: number, n: number): void;
  gather(map: number, x: number, y: number, n: number): void;
  scatterAdd(map: number, g: number, c: number, n: number): void;
  copyBlock(src: number, sStride: number, dst: number, dStride: number, w: number, rows: number): void;
  addBlock(src: number, sStride: number, dst: number, dStride: number, w: number, rows: number): void;
  reduceGroups(kind: number, x: number, y: number, groups: number, g: number): void;
  matmul(
    a: number,
    b: number,
    y: number,
    M: number,
    K: number,
    N: number,
    sam: number,
    sak: number,
    sbk: number,
    sbn: number,
  ): void;
  matmulBack(
    a: number,
    b: number,
    ct: number,
    ca: number,
    cb: number,
    M: number,
    K: number,
    N: number,
    sam: number,
    sak: number,
    sbk: number,
    sbn: number,
  ): void;
  combine(out: number, n: number, w0: number, base: number, cs: number, ks: number, m: number): void;
}

/** Binary op codes of the module's `binary`, by tfjs kernel name (from op-codes.ts). */
export const WASM_BINARY: Readonly<Record<string, number>> = Object.freeze({
  Add: op.BINARY_ADD,
  Sub: op.BINARY_SUB,
  Multiply: op.BINARY_MUL,
  RealDiv: op.BINARY_DIV,
  Maximum: op.BINARY_MAX,
  Minimum: op.BINARY_MIN,
});
/** Unary op codes of the module's `unary`, by tfjs kernel name (from op-codes.ts). */
export const WASM_UNARY: Readonly<Record<string, number>> = Object.freeze({
  Neg: op.UNARY_NEG,
  Relu: op.UNARY_RELU,
  Square: op.UNARY_SQUARE,
  Sqrt: op.UNARY_SQRT,
  Abs: op.UNARY_ABS,
  Tanh: op.UNARY_TANH,
  Reciprocal: op.UNARY_RECIPROCAL,
});

// The compiled module (compiled once per process; `null` without WebAssembly SIMD) and the
// switch that turns it off for tests and comparisons.
const state: { compiled: WebAssembly.Module | null | undefined; disabled: boolean } = {
  compiled: undefined,
  disabled: false,
};

/**
 * The compiled module, or `null` where WebAssembly with 128-bit SIMD is not available (callers
 * then use their JavaScript loops). It is under 4 KiB, so even a browser's main thread compiles
 * it synchronously.
 */
export function hostWasmModule(): WebAssembly.Module | null {
  if (state.disabled) return null;
  if (state.compiled !== undefined) return state.compiled;
  try {
    const text = atob(HOST_OPS_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    state.compiled = new WebAssembly.Module(bytes);
  } catch {
    state.compiled = null;
  }
  return state.compiled;
}

/**
 * Turns the WebAssembly kernels off (`false`) or back on, for tests and comparisons: compiled
 * fields and solver combinations then use their JavaScript loops. Returns the previous setting.
 *
 * @example
 * ```ts
 * import { setHostWasmEnabled } from '@odekit/core';
 * const was = setHostWasmEnabled(false); // JavaScript loops from here on
 * setHostWasmEnabled(was);
 * ```
 */
export function setHostWasmEnabled(enabled: boolean): boolean {
  const was = !state.disabled;
  state.disabled = !enabled;
  return was;
}

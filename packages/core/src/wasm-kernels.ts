import { HOST_KERNELS_WASM_BASE64 } from './host-kernels-wasm.js';

/** The exports of assembly/host-kernels.ts (pointers are byte offsets into `memory`). */
export interface HostWasmKernels {
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
  combine(out: number, n: number, w0: number, base: number, cs: number, ks: number, m: number): void;
}

/** Binary op codes of the module's `binary`, by tfjs kernel name. */
export const WASM_BINARY: Readonly<Record<string, number>> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
};
/** Unary op codes of the module's `unary`, by tfjs kernel name. */
export const WASM_UNARY: Readonly<Record<string, number>> = {
  Neg: 0,
  Relu: 1,
  Square: 2,
  Sqrt: 3,
  Abs: 4,
  Tanh: 5,
  Reciprocal: 6,
};

let compiled: WebAssembly.Module | null | undefined;
let disabled = false;

/**
 * The compiled module, or `null` where WebAssembly with 128-bit SIMD is not available (callers
 * then use their JavaScript loops). It is under 4 KiB, so even a browser's main thread compiles
 * it synchronously.
 */
export function hostWasmModule(): WebAssembly.Module | null {
  if (disabled) return null;
  if (compiled !== undefined) return compiled;
  try {
    const text = atob(HOST_KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
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
  const was = !disabled;
  disabled = !enabled;
  return was;
}

const ALIGN = 16;
const roundUp = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

/**
 * Buffers laid out in one fresh instance of the module (or, without WebAssembly, plain typed
 * arrays): reserve them first, then {@link Arena.commit} sizes the memory once and makes the views.
 */
export class Arena {
  readonly k: HostWasmKernels | null;
  private top = ALIGN; // pointer 0 means "none" to the kernels
  private readonly pending: { bytes: number; make: (buffer: ArrayBuffer | undefined, ptr: number) => void }[] = [];

  constructor(useWasm = true) {
    const m = useWasm ? hostWasmModule() : null;
    this.k = m === null ? null : (new WebAssembly.Instance(m, {}).exports as unknown as HostWasmKernels);
  }

  /** Reserves `bytes`; `make` is called at commit with the memory and the buffer's pointer. */
  reserve(bytes: number, make: (buffer: ArrayBuffer | undefined, ptr: number) => void): number {
    const ptr = this.top;
    this.top += roundUp(Math.max(bytes, 1));
    this.pending.push({ bytes, make });
    return ptr;
  }

  /** Grows the memory to hold every reservation and hands out the views. */
  commit(): void {
    let ptr = ALIGN;
    let buffer: ArrayBuffer | undefined;
    if (this.k !== null) {
      const have = this.k.memory.buffer.byteLength;
      if (have < this.top) this.k.memory.grow(Math.ceil((this.top - have) / 65536));
      buffer = this.k.memory.buffer;
    }
    for (const p of this.pending) {
      p.make(buffer, ptr);
      ptr += roundUp(Math.max(p.bytes, 1));
    }
    this.pending.length = 0;
  }
}

/** A float32 view of `n` values at `ptr` in `buffer`, or a plain array without one. */
export function f32View(buffer: ArrayBuffer | undefined, ptr: number, n: number): Float32Array {
  return buffer === undefined ? new Float32Array(n) : new Float32Array(buffer, ptr, n);
}

/** A float64 view of `n` values at `ptr` in `buffer`, or a plain array without one. */
export function f64View(buffer: ArrayBuffer | undefined, ptr: number, n: number): Float64Array {
  return buffer === undefined ? new Float64Array(n) : new Float64Array(buffer, ptr, n);
}

/** An int32 view of `n` values at `ptr` in `buffer`, or a plain array without one. */
export function i32View(buffer: ArrayBuffer | undefined, ptr: number, n: number): Int32Array {
  return buffer === undefined ? new Int32Array(n) : new Int32Array(buffer, ptr, n);
}

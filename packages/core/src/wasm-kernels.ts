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

/**
 * The solvers' stage combinations in WebAssembly: one instance whose memory keeps recently used
 * stage arrays (float32, keyed by identity: a solver never changes a stage after making it) and
 * states (float64), so a step's many combinations of the same stages copy each in once.
 */
class CombineScratch {
  readonly k: HostWasmKernels;
  private n = -1;
  private out = 0;
  private cs = 0;
  private ks = 0;
  private readonly rings: {
    slots: number[];
    keys: (object | undefined)[];
    next: number;
    where: Map<object, number>;
  }[] = [];

  constructor(m: WebAssembly.Module) {
    this.k = new WebAssembly.Instance(m, {}).exports as unknown as HostWasmKernels;
  }

  /** Lays the memory out for states of n values: out, coefficients, pointers, two rings. */
  private layout(n: number): void {
    this.n = n;
    let top = ALIGN;
    const take = (bytes: number) => {
      const p = top;
      top += roundUp(bytes);
      return p;
    };
    this.out = take(8 * n);
    this.cs = take(8 * MAX_TERMS);
    this.ks = take(4 * MAX_TERMS);
    this.rings.length = 0;
    for (const [count, bytes] of [
      [F32_SLOTS, 4 * n],
      [F64_SLOTS, 8 * n],
    ] as const) {
      const slots = Array.from({ length: count }, () => take(bytes));
      this.rings.push({ slots, keys: new Array(count).fill(undefined), next: 0, where: new Map() });
    }
    const have = this.k.memory.buffer.byteLength;
    if (have < top) this.k.memory.grow(Math.ceil((top - have) / 65536));
  }

  /** The pointer of `a` in memory, copying it in (and evicting the oldest) when not there. */
  private resident(ring: 0 | 1, a: Float32Array | Float64Array, n: number): number {
    const r = this.rings[ring] as (typeof this.rings)[number];
    const at = r.where.get(a);
    if (at !== undefined) return r.slots[at] as number;
    const i = r.next;
    r.next = (i + 1) % r.slots.length;
    const old = r.keys[i];
    if (old !== undefined) r.where.delete(old);
    r.keys[i] = a;
    r.where.set(a, i);
    const ptr = r.slots[i] as number;
    const view =
      ring === 0 ? new Float32Array(this.k.memory.buffer, ptr, n) : new Float64Array(this.k.memory.buffer, ptr, n);
    view.set(a.length === n ? a : a.subarray(0, n));
    return ptr;
  }

  combine(
    out: Float64Array,
    n: number,
    w0: number,
    base: ArrayLike<number> | undefined,
    cs: readonly number[],
    ks: readonly Float32Array[],
  ): boolean {
    const m = cs.length;
    if (m > MAX_TERMS || m >= F32_SLOTS) return false;
    if (base !== undefined && !(base instanceof Float64Array)) return false;
    if (n !== this.n) this.layout(n);
    const bp = base === undefined ? 0 : this.resident(1, base, n);
    const buffer = this.k.memory.buffer;
    const cv = new Float64Array(buffer, this.cs, m);
    const kv = new Uint32Array(buffer, this.ks, m);
    for (let j = 0; j < m; j++) {
      cv[j] = cs[j] as number;
      kv[j] = this.resident(0, ks[j] as Float32Array, n);
    }
    this.k.combine(this.out, n, w0, bp, this.cs, this.ks, m);
    out.set(new Float64Array(buffer, this.out, n));
    return true;
  }
}

const MAX_TERMS = 32;
const F32_SLOTS = 32;
const F64_SLOTS = 8;
/** Below this size the JavaScript loop is as fast; above the largest, the rings would be too big. */
const MIN_COMBINE = 256;
const MAX_COMBINE = 1 << 16;
let scratch: CombineScratch | null | undefined;

/**
 * `out[0..n) = w0·base + Σ_j cs[j]·ks[j]` in float64, the terms added left to right, in the
 * WebAssembly module: the solvers' one arithmetic kernel for large states (bit-identical to their
 * JavaScript loop). Returns `false`, having done nothing, where the module is unavailable or the
 * case is not covered (small or huge `n`, `base` not a Float64Array): the caller loops then.
 * The stage arrays `ks` must not change once passed here (they are cached by identity).
 *
 * @example
 * ```ts
 * import { hostCombine } from '@odekit/core';
 * const out = new Float64Array(512);
 * const k = new Float32Array(512).fill(2);
 * if (hostCombine(out, 512, 1, new Float64Array(512).fill(1), [0.5], [k]) && out[0] !== 2) throw new Error('bad');
 * ```
 */
export function hostCombine(
  out: Float64Array,
  n: number,
  w0: number,
  base: ArrayLike<number> | undefined,
  cs: readonly number[],
  ks: readonly Float32Array[],
): boolean {
  if (n < MIN_COMBINE || n > MAX_COMBINE || disabled) return false;
  if (scratch === undefined) {
    const m = hostWasmModule();
    scratch = m === null ? null : new CombineScratch(m);
  }
  return scratch !== null && scratch.combine(out, n, w0, base, cs, ks);
}

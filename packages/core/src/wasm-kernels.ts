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

/** A ring of equal-sized buffers in an arena, keeping the arrays last copied in by identity. */
interface Ring<A extends Float32Array | Float64Array> {
  ptrs: number[];
  views: A[];
  keys: (A | undefined)[];
  next: number;
  where: Map<A, number>;
}

function ring<A extends Float32Array | Float64Array>(
  arena: Arena,
  count: number,
  n: number,
  bytesPerValue: number,
  view: (buffer: ArrayBuffer | undefined, ptr: number, n: number) => A,
): Ring<A> {
  const r: Ring<A> = { ptrs: [], views: [], keys: new Array(count).fill(undefined), next: 0, where: new Map() };
  const bytes = n * bytesPerValue;
  for (let i = 0; i < count; i++) {
    r.ptrs.push(
      arena.reserve(bytes, (buffer, ptr) => {
        r.views[i] = view(buffer, ptr, n);
      }),
    );
  }
  return r;
}

/** The pointer of `a` in the ring, copying it in (and evicting the oldest) when it is not there. */
function resident<A extends Float32Array | Float64Array>(r: Ring<A>, a: A): number {
  const at = r.where.get(a);
  if (at !== undefined) return r.ptrs[at] as number;
  const i = r.next;
  r.next = (i + 1) % r.ptrs.length;
  const old = r.keys[i];
  if (old !== undefined) r.where.delete(old);
  r.keys[i] = a;
  r.where.set(a, i);
  const v = r.views[i] as A;
  v.set(a.length === v.length ? a : a.subarray(0, v.length));
  return r.ptrs[i] as number;
}

/**
 * The solvers' stage combinations in WebAssembly, laid out for states of `n` values: an arena
 * whose memory keeps recently used stage arrays (float32, keyed by identity: a solver never
 * changes a stage after making it) and states (float64), so a step's many combinations of the
 * same stages copy each in once.
 */
class CombineScratch {
  readonly k: HostWasmKernels;
  private readonly out: number;
  private readonly cs: number;
  private readonly ks: number;
  private outView: Float64Array = new Float64Array(0);
  private csView: Float64Array = new Float64Array(0);
  private ksView: Uint32Array = new Uint32Array(0);
  private readonly stages: Ring<Float32Array>;
  private readonly states: Ring<Float64Array>;

  constructor(readonly n: number) {
    const arena = new Arena();
    this.k = arena.k as HostWasmKernels;
    this.out = arena.reserve(8 * n, (buffer, ptr) => {
      this.outView = f64View(buffer, ptr, n);
    });
    this.cs = arena.reserve(8 * F32_SLOTS, (buffer, ptr) => {
      this.csView = f64View(buffer, ptr, F32_SLOTS);
    });
    this.ks = arena.reserve(4 * F32_SLOTS, (buffer, ptr) => {
      this.ksView = new Uint32Array(buffer as ArrayBuffer, ptr, F32_SLOTS);
    });
    this.stages = ring(arena, F32_SLOTS, n, 4, f32View);
    this.states = ring(arena, F64_SLOTS, n, 8, f64View);
    arena.commit();
  }

  combine(
    out: Float64Array,
    w0: number,
    base: Float64Array | undefined,
    cs: readonly number[],
    ks: readonly Float32Array[],
  ): void {
    const m = cs.length;
    const bp = base === undefined ? 0 : resident(this.states, base);
    for (let j = 0; j < m; j++) {
      this.csView[j] = cs[j] as number;
      this.ksView[j] = resident(this.stages, ks[j] as Float32Array);
    }
    this.k.combine(this.out, this.n, w0, bp, this.cs, this.ks, m);
    out.set(this.outView);
  }
}

/** Stage arrays kept in memory; a combination takes fewer terms, so none evicts its own. */
const F32_SLOTS = 32;
const F64_SLOTS = 8;
/** Below this size the JavaScript loop is as fast; above the largest, the rings would be too big. */
const MIN_COMBINE = 256;
const MAX_COMBINE = 1 << 16;
let scratch: CombineScratch | undefined;

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
  if (n < MIN_COMBINE || n > MAX_COMBINE || cs.length >= F32_SLOTS || hostWasmModule() === null) return false;
  if (base !== undefined && !(base instanceof Float64Array)) return false;
  // a new layout (and instance) when the state size changes
  if (scratch?.n !== n) scratch = new CombineScratch(n);
  scratch.combine(out, w0, base, cs, ks);
  return true;
}

import { type HostOpsModule, hostWasmModule } from './module.js';

const ALIGN = 16;
const roundUp = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

/**
 * Buffers laid out in one fresh instance of the module (or, without WebAssembly, plain typed
 * arrays): reserve them first, then {@link Arena.commit} sizes the memory once and makes the views.
 */
export class Arena {
  readonly k: HostOpsModule | null;
  private top = ALIGN; // pointer 0 means "none" to the module's functions
  private readonly pending: { bytes: number; make: (buffer: ArrayBuffer | undefined, ptr: number) => void }[] = [];

  constructor(useWasm = true) {
    const m = useWasm ? hostWasmModule() : null;
    this.k = m === null ? null : (new WebAssembly.Instance(m, {}).exports as unknown as HostOpsModule);
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

import type { FloatArray } from '../host-ops/float-array.js';
import { Arena, f32View, f64View, i32View } from '../host-wasm/arena.js';
import type { HostOpsModule } from '../host-wasm/module.js';

/** The arithmetic of a compiled program: float32 (tfjs's, the default) or float64. */
export type Precision = 'float32' | 'float64';

/**
 * A value of the program: float32 (or, in a float64 program, float64) values, float64
 * cotangent, laid out in the arena.
 */
export interface Slot {
  value: FloatArray;
  ints: Int32Array | undefined;
  ct: Float64Array;
  /** Depends only on args and constants: computed once per solve. */
  isStatic: boolean;
  needsGrad: boolean;
  /** Where `value` (float32 programs) and `ct` live in the arena's WebAssembly memory (byte offsets). */
  p32: number;
  p64: number;
}

/** One lowered kernel: its forward and backward passes over slots. */
export interface Step {
  isStatic: boolean;
  needsGrad: boolean;
  fwd: () => void;
  bwd: () => void;
}

const EMPTY32 = new Float32Array(0);
const EMPTY64 = new Float64Array(0);

/**
 * What a lowering writes into: slots laid out in one arena (the SIMD module's memory when it is
 * available and the program is float32) and the steps that compute them, in trace order.
 */
export class ProgramBuilder {
  readonly arena: Arena;
  /** The WebAssembly kernels (float32 only), or `null`: JavaScript loops then. */
  readonly wasm: HostOpsModule | null;

  readonly steps: Step[] = [];
  readonly staticSlots: Slot[] = [];
  readonly dynamicSlots: Slot[] = [];

  constructor(readonly precision: Precision = 'float32') {
    this.arena = new Arena(precision === 'float32');
    this.wasm = this.arena.k;
  }

  /** A new value of `size` elements in the arena (`init` copied in once it is laid out). */
  slot(size: number, isStatic: boolean, needsGrad: boolean, init?: ArrayLike<number>): Slot {
    const s: Slot = { value: EMPTY32, ints: undefined, ct: EMPTY64, isStatic, needsGrad, p32: 0, p64: 0 };
    const f64 = this.precision === 'float64';
    s.p32 = this.arena.reserve(size * (f64 ? 8 : 4), (buffer, ptr) => {
      s.value = f64 ? f64View(buffer, ptr, size) : f32View(buffer, ptr, size);
      if (init !== undefined) s.value.set(init);
    });
    s.p64 = this.arena.reserve(size * 8, (buffer, ptr) => {
      s.ct = f64View(buffer, ptr, size);
    });
    (isStatic ? this.staticSlots : this.dynamicSlots).push(s);
    return s;
  }

  /** An index map copied into the arena; its pointer. */
  mapPtr(map: Int32Array): number {
    return this.arena.reserve(map.length * 4, (buffer, ptr) => {
      i32View(buffer, ptr, map.length).set(map);
    });
  }

  /** The output slot of a step on `ins`: static when they all are, needing a gradient when one does. */
  result(size: number, ins: readonly Slot[]): Slot {
    return this.slot(
      size,
      ins.every((s) => s.isStatic),
      ins.some((s) => s.needsGrad),
    );
  }

  /** Adds a step computing `outs` from `ins`. */
  push(ins: readonly Slot[], outs: readonly Slot[], fwd: () => void, bwd: () => void): void {
    this.steps.push({
      isStatic: ins.every((s) => s.isStatic),
      needsGrad: outs.some((s) => s.needsGrad),
      fwd,
      bwd,
    });
  }
}

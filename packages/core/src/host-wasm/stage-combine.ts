import { Arena, f32View, f64View } from './arena.js';
import { type HostOpsModule, hostWasmModule } from './module.js';

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
 * `out[0..n) = w0·base + Σ_j cs[j]·ks[j]` in float64, the terms added left to right, in the
 * host-ops WebAssembly module, laid out for states of `n` values: an arena whose memory keeps
 * recently used stage arrays (float32, keyed by identity: a solver never changes a stage after
 * making it) and states (float64), so a step's many combinations of the same stages copy each in
 * once. Bit-identical to the solvers' JavaScript loop. Make one with {@link stageCombinerFor};
 * the caller keeps it (@odekit/solvers keeps one per state size, see its `host-combine.ts`).
 */
export class StageCombiner {
  readonly k: HostOpsModule;
  private readonly out: number;
  private readonly cs: number;
  private readonly ks: number;
  private outView: Float64Array = new Float64Array(0);
  private csView: Float64Array = new Float64Array(0);
  private ksView: Uint32Array = new Uint32Array(0);
  private readonly stages: Ring<Float32Array>;
  private readonly states: Ring<Float64Array>;

  /** The layout for states of `n` values; see {@link stageCombinerFor} for when it is worth it. */
  constructor(readonly n: number) {
    const arena = new Arena();
    this.k = arena.k as HostOpsModule;
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

  /**
   * Whether this combiner takes the case: `m` terms and a float64 `base` (or none), with the
   * WebAssembly module still enabled (`setHostWasmEnabled`). The stage arrays `ks` must not
   * change once passed to {@link StageCombiner.combine} (they are cached by identity).
   */
  covers(m: number, base: ArrayLike<number> | undefined): boolean {
    return m < F32_SLOTS && (base === undefined || base instanceof Float64Array) && hostWasmModule() !== null;
  }

  combine(
    out: Float64Array,
    w0: number,
    base: ArrayLike<number> | undefined,
    cs: readonly number[],
    ks: readonly Float32Array[],
  ): void {
    const m = cs.length;
    const bp = base === undefined ? 0 : resident(this.states, base as Float64Array);
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

/**
 * A {@link StageCombiner} for states of `n` values, or `null` where the module is unavailable or
 * the size is not worth it (below 256 values the JavaScript loop is as fast; above 65,536 the
 * rings would be too big). No state is kept here: the caller owns the combiner it gets.
 *
 * @example
 * ```ts
 * import { stageCombinerFor } from '@odekit/core/internal';
 * const c = stageCombinerFor(512);
 * const out = new Float64Array(512);
 * const k = new Float32Array(512).fill(2);
 * const base = new Float64Array(512).fill(1);
 * if (c !== null && c.covers(1, base)) {
 *   c.combine(out, 1, base, [0.5], [k]);
 *   if (out[0] !== 2) throw new Error('bad');
 * }
 * ```
 */
export function stageCombinerFor(n: number): StageCombiner | null {
  if (n < MIN_COMBINE || n > MAX_COMBINE || hostWasmModule() === null) return null;
  return new StageCombiner(n);
}

import type * as tf from '@tensorflow/tfjs-core';
import { computeLayout, type Layout, type Plan } from './layout.js';
import { type Kernels, moduleBytes } from './module.js';
import { WeightsCache } from './weights-cache.js';

/**
 * The forward passes host sessions keep, for one network, row count and set of weights: a
 * ring of slots, each with the input it was run at. Host sessions of one solve share it (the
 * forward solve, the backward pass's recomputed stages and its VJPs), so a VJP at a point the
 * solve evaluated runs only the backward pass. The tensor op, which lays out the same memory,
 * drops it.
 */
export interface HostCache {
  planKey: string;
  rows: number;
  /** the weights' tensor data identities (renewed when equal values come as other tensors) */
  weights: readonly object[];
  lay: Layout;
  inputs: (Float32Array | undefined)[];
  kinds: (readonly number[])[];
  hashes: number[];
  byHash: Map<number, number>;
  next: number;
  /** Set while a session keeps args-gradient sums here: moves them out before the cache goes. */
  onDrop: (() => void) | undefined;
}

const hasAsyncCompile = (): boolean => typeof WebAssembly === 'object' && typeof WebAssembly.compile === 'function';

/**
 * Everything the fused MLP keeps between calls, in one object (one per process: the module has
 * one memory, which the tensor op and the host sessions share). Its caches:
 * - `layouts`: buffer layouts by (plan, rows, slots, sums); at most 64, cleared when full.
 * - `weights`: which weights are in the module's memory (see {@link WeightsCache}).
 * - `hostCache`: the kept forward passes of the host sessions (see {@link HostCache}); dropped
 *   when another network, row count or call reuses the memory.
 * - `ops`: the tfjs custom op per network structure; lives as long as the process.
 */
export class FusedMlpRuntime {
  private kernels: Kernels | null | undefined;
  private loading: Promise<boolean> | undefined;
  private view: Float32Array | undefined;
  private readonly layouts = new Map<string, Layout>();
  readonly weights = new WeightsCache();
  hostCache: HostCache | undefined;
  readonly ops = new Map<string, (...inputs: tf.Tensor[]) => tf.Tensor>();

  /**
   * The kernels, compiled at first use; `null` while they are not available. Browsers refuse a
   * synchronous compile of more than 4 KiB on the main thread: there the module compiles
   * asynchronously, and calls until it is ready use tfjs ops. Without WebAssembly or its SIMD
   * the kernels stay unavailable.
   */
  load(): Kernels | null {
    if (this.kernels !== undefined) return this.kernels;
    if (this.loading !== undefined) return null;
    try {
      this.kernels = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {}).exports as unknown as Kernels;
      this.loading = Promise.resolve(true);
    } catch {
      if (!hasAsyncCompile()) {
        this.kernels = null;
        this.loading = Promise.resolve(false);
      } else {
        this.loading = WebAssembly.compile(moduleBytes() as BufferSource)
          .then((m) => WebAssembly.instantiate(m, {}))
          .then(
            (instance) => {
              this.kernels = instance.exports as unknown as Kernels;
              return true;
            },
            () => {
              this.kernels = null;
              return false;
            },
          );
      }
    }
    return this.kernels ?? null;
  }

  /** Resolves once the kernels are compiled (`true`) or known to be unavailable (`false`). */
  ready(): Promise<boolean> {
    this.load();
    return this.loading ?? Promise.resolve(false);
  }

  /** The module's memory as floats, grown to at least `bytes` (one view, renewed after growth). */
  heap(bytes: number): Float32Array {
    const k = this.kernels as Kernels;
    const have = k.memory.buffer.byteLength;
    if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.view === undefined || this.view.buffer !== k.memory.buffer) this.view = new Float32Array(k.memory.buffer);
    return this.view;
  }

  /** The buffers' layout for `rows` rows and `nSlots` kept forward passes (memoised; read-only). */
  layoutFor(plan: Plan, rows: number, nSlots = 1, withSums = false): Layout {
    const key = `${plan.key}|${rows}|${nSlots}|${withSums}`;
    let lay = this.layouts.get(key);
    if (lay === undefined) {
      if (this.layouts.size >= 64) this.layouts.clear();
      lay = computeLayout(plan, rows, nSlots, withSums);
      this.layouts.set(key, lay);
    }
    return lay;
  }

  /** Forgets the host cache (its memory is about to be reused), moving kept sums out first. */
  dropHostCache(): void {
    const c = this.hostCache;
    this.hostCache = undefined;
    c?.onDrop?.();
  }
}

/** The process's fused-MLP runtime. */
export const fusedMlpRuntime = new FusedMlpRuntime();

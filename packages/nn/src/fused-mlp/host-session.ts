import {
  dataIdentity,
  gradientIsRecording,
  type HostFieldSession,
  type HostImplementation,
} from '@odekit/core/internal';
import type * as tf from '@tensorflow/tfjs-core';
import type { LinearParams } from '../linear.js';
import type { Slot } from './layout.js';
import { FUSED_MLP_MAX_BYTES, type Kernels } from './module.js';
import { backwardInMemory, forwardInMemory } from './passes.js';
import { type FusedMlpRuntime, fusedMlpRuntime, type HostCache } from './runtime.js';
import { fusablePlan } from './tensor-op.js';

/** Bytes of host-cache slots at most (fewer slots for larger batches). */
const HOST_CACHE_BYTES = 32 * 1024 * 1024;

function addInto(acc: Float64Array | undefined, f32: Float32Array, at: number): void {
  if (acc === undefined) return;
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (f32[at + i] as number);
}

/**
 * A host implementation (see `withHostImplementation` in @odekit/core) for the vector field
 * `(t, y, params) => apply(params, y)` of an MLP with these activation codes: solvers on the
 * cpu and wasm backends then evaluate it, and take its vector–Jacobian products, by direct calls
 * into the fused kernels, with no tensors or tape. Covers a single state tensor `[..., n]` with
 * `n` the MLP's input and output size and `params` a tree `{ layers }` the kernels can take.
 */
export function mlpHostImplementation(
  kinds: readonly number[],
  rt: FusedMlpRuntime = fusedMlpRuntime,
): HostImplementation {
  return {
    open(args, yShape, argTensors): HostFieldSession | undefined {
      const layers = (args as { layers?: unknown } | null | undefined)?.layers;
      if (!Array.isArray(layers) || yShape.length === 0) return undefined;
      const inSize = yShape[yShape.length - 1] as number;
      const rows = yShape.reduce((a, b) => a * b, 1) / inSize;
      if (!(inSize > 0)) return undefined;
      const plan = fusablePlan(rt, layers as LinearParams[], kinds, inSize, rows);
      if (plan === undefined || plan.sizes[plan.sizes.length - 1] !== inSize) return undefined;
      const k = rt.load() as Kernels;
      const params: tf.Tensor[] = (layers as LinearParams[]).flatMap((p) =>
        p.bias === undefined ? [p.weight] : [p.weight, p.bias],
      );
      const index = params.map((t) => argTensors.indexOf(t));
      const n = rows * inSize;
      const last = plan.kinds.length - 1;
      const base = rt.layoutFor(plan, rows, 0, true).total;
      const slotBytes = rt.layoutFor(plan, rows, 1, true).total - base;
      const room = Math.min(HOST_CACHE_BYTES, FUSED_MLP_MAX_BYTES - base);
      const nSlots = Math.max(1, Math.min(256, Math.floor(room / slotBytes)));
      const input = new Float32Array(n);
      const inputBits = new Int32Array(input.buffer);
      /** The cache for these weights, made anew when another network or call has used the memory. */
      const cache = (): HostCache => {
        const c = rt.hostCache;
        if (c !== undefined && c.planKey === plan.key && c.rows === rows) {
          if (params.every((t, i) => dataIdentity(t) === c.weights[i])) return c;
          const ids = params.map(dataIdentity);
          // other tensors with the same values (the wasm backend's clones copy their data, so an
          // adjoint's saved parameters are new tensors): keep the cache, under the new identities
          if (rt.weights.sameValues(rt.heap(0), plan, c.lay, params)) {
            c.weights = ids;
            rt.weights.adopt(ids);
            return c;
          }
        }
        const ids = params.map(dataIdentity);
        const lay = rt.layoutFor(plan, rows, nSlots, true);
        rt.dropHostCache();
        // the sums start at zero
        const f64 = new Float64Array(rt.heap(lay.total).buffer);
        lay.acc.forEach((at, j) => {
          f64.fill(0, at / 8, at / 8 + (params[j] as tf.Tensor).size);
        });
        rt.hostCache = {
          planKey: plan.key,
          rows,
          weights: ids,
          lay,
          inputs: new Array(nSlots).fill(undefined),
          kinds: new Array(nSlots).fill(plan.kinds),
          hashes: new Array(nSlots).fill(0),
          byHash: new Map(),
          next: 0,
          onDrop: undefined,
        };
        return rt.hostCache;
      };
      /** Loads y (as float32) into `input` and returns its hash. */
      const load = (y: ArrayLike<number>): number => {
        input.set(y);
        let h = 0x811c9dc5;
        for (let i = 0; i < n; i++) h = Math.imul(h ^ (inputBits[i] as number), 0x01000193);
        return h;
      };
      const forward = (c: HostCache, hash: number, kinds: readonly number[]): number => {
        const q = c.next;
        c.next = (q + 1) % nSlots;
        if (c.inputs[q] !== undefined && c.byHash.get(c.hashes[q] as number) === q)
          c.byHash.delete(c.hashes[q] as number);
        rt.weights.copy(k, rt.heap(c.lay.total), plan, c.lay, params);
        forwardInMemory(rt, k, plan, c.lay, c.lay.slots[q] as Slot, input, rows, kinds);
        const kept = c.inputs[q] ?? new Float32Array(n);
        kept.set(input);
        c.inputs[q] = kept;
        c.kinds[q] = kinds;
        c.hashes[q] = hash;
        c.byHash.set(hash, q);
        return q;
      };
      const find = (c: HostCache, hash: number): number => {
        const q = c.byHash.get(hash);
        if (q === undefined) return -1;
        const x = c.inputs[q] as Float32Array;
        for (let i = 0; i < n; i++) if (x[i] !== input[i]) return -1;
        return q;
      };
      const output = (c: HostCache, q: number) => {
        const at = ((c.lay.slots[q] as Slot).a[last] as number) / 4;
        return rt.heap(0).slice(at, at + n);
      };
      // vjpDeferred's sums: in the cache's float64 accumulators while it lives, moved to
      // `spilled` when it goes (or at flush)
      let pendingIn: HostCache | undefined;
      const spilled: (Float64Array | undefined)[] = params.map(() => undefined);
      const spill = () => {
        const c = pendingIn;
        if (c === undefined) return;
        const f64 = new Float64Array(rt.heap(0).buffer);
        params.forEach((t, j) => {
          const at = (c.lay.acc[j] as number) / 8;
          const to = (spilled[j] ??= new Float64Array(t.size));
          for (let i = 0; i < to.length; i++) {
            to[i] = (to[i] as number) + (f64[at + i] as number);
            f64[at + i] = 0;
          }
        });
        if (c.onDrop === spill) c.onDrop = undefined;
        pendingIn = undefined;
      };
      /** The backward pass at y (reusing a kept forward pass at y when there is one). */
      const backwardAt = (
        _t: number,
        y: ArrayLike<number>,
        ct: ArrayLike<number>,
        onValue?: (f: Float32Array) => void,
      ) => {
        const c = cache();
        const hash = load(y);
        const found = find(c, hash);
        const q = found >= 0 ? found : forward(c, hash, plan.keepKinds);
        if (onValue !== undefined) onValue(output(c, q));
        const dx = backwardInMemory(rt, k, plan, c.lay, c.lay.slots[q] as Slot, ct, rows, c.kinds[q] as number[]);
        return { c, dx };
      };
      return {
        evaluate: (_t, y) => {
          const c = cache();
          // under a recording tape a backward pass will follow: keep softplus′ at once
          const recording = gradientIsRecording();
          return output(c, forward(c, load(y), recording ? plan.keepKinds : plan.kinds));
        },
        vjp: (t, y, ct, argGrads, onValue) => {
          const { c, dx } = backwardAt(t, y, ct, onValue);
          const f32 = rt.heap(0);
          let p = 0;
          for (let l = 0; l < plan.kinds.length; l++) {
            addInto(argGrads[index[p++] as number], f32, (c.lay.dw[l] as number) / 4);
            if (plan.hasBias[l]) addInto(argGrads[index[p++] as number], f32, (c.lay.db[l] as number) / 4);
          }
          return f32.slice(dx / 4, dx / 4 + n);
        },
        vjpDeferred: (t, y, ct, onValue) => {
          const { c, dx } = backwardAt(t, y, ct, onValue);
          // float64 sums inside the module: no JavaScript loop over every weight per call
          let p = 0;
          for (let l = 0; l < plan.kinds.length; l++) {
            k.accumulate(c.lay.acc[p++] as number, c.lay.dw[l] as number, (params[p - 1] as tf.Tensor).size);
            if (plan.hasBias[l])
              k.accumulate(c.lay.acc[p++] as number, c.lay.db[l] as number, (params[p - 1] as tf.Tensor).size);
          }
          c.onDrop = spill;
          pendingIn = c;
          return rt.heap(0).slice(dx / 4, dx / 4 + n);
        },
        flushArgGrads: (argGrads) => {
          if (pendingIn !== undefined && pendingIn === rt.hostCache) spill();
          pendingIn = undefined;
          params.forEach((_, j) => {
            const from = spilled[j];
            const to = argGrads[index[j] as number];
            if (from === undefined) return;
            if (to !== undefined) for (let i = 0; i < to.length; i++) to[i] = (to[i] as number) + (from[i] as number);
            from.fill(0);
          });
        },
      };
    },
  };
}

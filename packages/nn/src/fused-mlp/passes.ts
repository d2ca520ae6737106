import type { Layout, Plan, Slot } from './layout.js';
import type { Kernels } from './module.js';
import type { FusedMlpRuntime } from './runtime.js';

/** Runs the forward pass in the module; the input and activations stay in `slot`. */
export function forwardInMemory(
  rt: FusedMlpRuntime,
  k: Kernels,
  plan: Plan,
  lay: Layout,
  slot: Slot,
  x: ArrayLike<number>,
  rows: number,
  kinds: readonly number[],
): Float32Array {
  const f32 = rt.heap(lay.total);
  f32.set(x, slot.x / 4);
  let h = slot.x;
  for (let l = 0; l < plan.kinds.length; l++) {
    const nIn = plan.sizes[l] as number;
    const nOut = plan.sizes[l + 1] as number;
    if (nIn < 4) k.affineNarrow(h, lay.wt[l] as number, lay.b[l] as number, slot.z[l] as number, rows, nIn, nOut);
    else k.affine(h, lay.w[l] as number, lay.b[l] as number, slot.z[l] as number, rows, nIn, nOut);
    k.activate(kinds[l] as number, slot.z[l] as number, slot.a[l] as number, rows * nOut);
    h = slot.a[l] as number;
  }
  return f32;
}

/** Floats the forward pass saves for the backward pass: every z and a, one after another. */
export function savedFloats(plan: Plan, rows: number): number {
  let n = 0;
  for (let l = 0; l < plan.kinds.length; l++) n += (plan.kinds[l] === 0 ? 1 : 2) * rows * (plan.sizes[l + 1] as number);
  return n;
}

/** Copies every z and a of `slot` out (`save`) or back in from `saved`. */
export function moveActivations(
  f32: Float32Array,
  plan: Plan,
  slot: Slot,
  rows: number,
  saved?: Float32Array,
): Float32Array {
  const out = saved ?? new Float32Array(savedFloats(plan, rows));
  let at = 0;
  const move = (ptr: number, n: number) => {
    if (saved === undefined) out.set(f32.subarray(ptr / 4, ptr / 4 + n), at);
    else f32.set(saved.subarray(at, at + n), ptr / 4);
    at += n;
  };
  for (let l = 0; l < plan.kinds.length; l++) {
    const n = rows * (plan.sizes[l + 1] as number);
    move(slot.z[l] as number, n);
    if (plan.kinds[l] !== 0) move(slot.a[l] as number, n);
  }
  return out;
}

/**
 * The backward pass in the module for the cotangent `dy` of the output, with the forward pass's
 * activations in `slot`: leaves each layer's weight and bias gradient at `lay.dw`/`lay.db` and
 * returns the byte offset of the input gradient.
 */
export function backwardInMemory(
  rt: FusedMlpRuntime,
  k: Kernels,
  plan: Plan,
  lay: Layout,
  slot: Slot,
  dy: ArrayLike<number>,
  rows: number,
  kinds: readonly number[],
): number {
  const f32 = rt.heap(lay.total);
  f32.set(dy, lay.g / 4);
  let g = lay.g;
  let spare = lay.g2;
  for (let l = plan.kinds.length - 1; l >= 0; l--) {
    const nIn = plan.sizes[l] as number;
    const nOut = plan.sizes[l + 1] as number;
    k.activateGrad(kinds[l] as number, slot.z[l] as number, slot.a[l] as number, g, rows * nOut);
    const h = l === 0 ? slot.x : (slot.a[l - 1] as number);
    // dW = gᵀ·h as dot products over rows: gᵀ [nOut, rows] against hᵀ [nIn, rows]
    k.transpose(g, lay.gt, rows, nOut);
    k.transpose(h, lay.ht, rows, nIn);
    k.affine(lay.gt, lay.ht, 0, lay.dw[l] as number, nOut, rows, nIn);
    if (plan.hasBias[l]) k.sumRows(g, lay.db[l] as number, rows, nOut);
    // dh = g·W: dot products against Wᵀ [nIn, nOut], or for a narrow g vectorised over W's rows
    if (nOut < 4) k.affineNarrow(g, lay.w[l] as number, 0, spare, rows, nOut, nIn);
    else k.affine(g, lay.wt[l] as number, 0, spare, rows, nOut, nIn);
    [g, spare] = [spare, g];
  }
  return g;
}

/** The gradients as new arrays, in the custom op's input order: x, then each layer's weight and bias. */
export function readGrads(rt: FusedMlpRuntime, plan: Plan, lay: Layout, dx: number, rows: number): Float32Array[] {
  const f32 = rt.heap(0);
  const read = (at: number, n: number) => f32.slice(at / 4, at / 4 + n);
  const grads = [read(dx, rows * (plan.sizes[0] as number))];
  for (let l = 0; l < plan.kinds.length; l++) {
    grads.push(read(lay.dw[l] as number, (plan.sizes[l + 1] as number) * (plan.sizes[l] as number)));
    if (plan.hasBias[l]) grads.push(read(lay.db[l] as number, plan.sizes[l + 1] as number));
  }
  return grads;
}

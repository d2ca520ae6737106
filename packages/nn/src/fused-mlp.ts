import type { HostFieldKernels, HostFieldSession } from '@odekit/core';
import { dataIdentity, gradientIsRecording } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_MLP_WASM_BASE64 } from './fused-mlp-wasm.js';
import type { LinearParams } from './linear.js';

/**
 * The activations the fused kernel computes, by name, with their codes in the WebAssembly
 * module (assembly/fused-mlp.ts). Others run through tfjs ops.
 */
export const FUSED_ACTIVATION_CODES: Readonly<Record<string, number>> = Object.freeze({
  identity: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
  softplus: 4,
});

const SOFTPLUS = 4;
/** The module's softplus that also leaves softplus′ in place of z for the backward pass. */
const SOFTPLUS_KEEP = 5;

/** The largest workspace one fused call may use (64 MiB); larger calls take the tfjs path. */
export const FUSED_MLP_MAX_BYTES = 64 * 1024 * 1024;

interface Kernels {
  memory: WebAssembly.Memory;
  affine(x: number, w: number, b: number, y: number, rows: number, nIn: number, nOut: number): void;
  affineNarrow(x: number, wt: number, b: number, y: number, rows: number, nIn: number, nOut: number): void;
  accumulate(acc: number, src: number, n: number): void;
  transpose(s: number, t: number, rows: number, cols: number): void;
  sumRows(g: number, s: number, rows: number, n: number): void;
  activate(kind: number, z: number, a: number, n: number): void;
  activateGrad(kind: number, z: number, a: number, g: number, n: number): void;
}

let kernels: Kernels | null | undefined;
let loading: Promise<boolean> | undefined;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(FUSED_MLP_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const hasAsyncCompile = (): boolean => typeof WebAssembly === 'object' && typeof WebAssembly.compile === 'function';

/**
 * The kernels, compiled at first use; `null` while they are not available. Browsers refuse a
 * synchronous compile of more than 4 KiB on the main thread: there the module compiles
 * asynchronously, and calls until it is ready use tfjs ops. Without WebAssembly or its SIMD
 * the kernels stay unavailable.
 */
function loadKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  if (loading !== undefined) return null;
  try {
    kernels = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {}).exports as unknown as Kernels;
    loading = Promise.resolve(true);
  } catch {
    if (!hasAsyncCompile()) {
      kernels = null;
      loading = Promise.resolve(false);
    } else {
      loading = WebAssembly.compile(moduleBytes() as BufferSource)
        .then((m) => WebAssembly.instantiate(m, {}))
        .then(
          (instance) => {
            kernels = instance.exports as unknown as Kernels;
            return true;
          },
          () => {
            kernels = null;
            return false;
          },
        );
    }
  }
  return kernels ?? null;
}

/**
 * Whether the fused MLP kernels run in this JavaScript engine now (WebAssembly with 128-bit
 * SIMD); where they do not, `mlp` uses tfjs ops. On a browser's main thread the module
 * compiles asynchronously: await {@link fusedMlpReady} first.
 *
 * @example
 * ```ts
 * import { fusedMlpSupported } from '@odekit/nn';
 * if (typeof fusedMlpSupported() !== 'boolean') throw new Error('bad');
 * ```
 */
export function fusedMlpSupported(): boolean {
  return loadKernels() !== null;
}

/**
 * Resolves once the fused MLP kernels are compiled (`true`) or known to be unavailable
 * (`false`). In Node the module compiles synchronously at first use; on a browser's main thread
 * awaiting this before training lets the first steps use the kernels too.
 *
 * @example
 * ```ts
 * import { fusedMlpReady } from '@odekit/nn';
 * if ((await fusedMlpReady()) !== true) throw new Error('Node runs the kernels');
 * ```
 */
export function fusedMlpReady(): Promise<boolean> {
  loadKernels();
  return loading ?? Promise.resolve(false);
}

/** Whether a gradient tape is recording (a backward pass will follow what runs now). */
const tapeRecording = gradientIsRecording;

/** Floats rounded up to a whole 16-byte vector, in bytes. */
const vecBytes = (floats: number): number => ((floats + 3) & ~3) * 4;

/** Where one forward pass keeps its input and activations (byte offsets). */
interface Slot {
  x: number;
  /** per layer: pre-activation and activation (the same buffer for identity) */
  z: number[];
  a: number[];
}

/** Byte offsets of one call's buffers in the module's memory. */
interface Layout {
  /** per layer: weight, weightᵀ, bias (0 when absent); the weights come first */
  w: number[];
  wt: number[];
  b: number[];
  slots: Slot[];
  /** backward scratch */
  g: number;
  g2: number;
  gt: number;
  ht: number;
  dw: number[];
  db: number[];
  /** float64 sums of the args gradients, one per weight and bias in input order (host caches) */
  acc: number[];
  total: number;
}

/** The network's structure as the kernel sees it. */
interface Plan {
  sizes: number[];
  kinds: number[];
  hasBias: boolean[];
  /** sizes, biases and kinds as one string */
  key: string;
  /** `kinds` for a forward pass whose backward pass follows: softplus keeps its derivative */
  keepKinds: number[];
}

const layouts = new Map<string, Layout>();

/** The buffers' layout for `rows` rows and `nSlots` kept forward passes (memoised; read-only). */
function layoutFor(plan: Plan, rows: number, nSlots = 1, withSums = false): Layout {
  const key = `${plan.key}|${rows}|${nSlots}|${withSums}`;
  let lay = layouts.get(key);
  if (lay === undefined) {
    if (layouts.size >= 64) layouts.clear();
    lay = computeLayout(plan, rows, nSlots, withSums);
    layouts.set(key, lay);
  }
  return lay;
}

function computeLayout(plan: Plan, rows: number, nSlots: number, withSums: boolean): Layout {
  const { sizes, hasBias } = plan;
  const depth = sizes.length - 1;
  let top = 0;
  const take = (floats: number) => {
    const at = top;
    top += vecBytes(floats);
    return at;
  };
  const w: number[] = [];
  const wt: number[] = [];
  const b: number[] = [];
  for (let l = 0; l < depth; l++) {
    const n = (sizes[l + 1] as number) * (sizes[l] as number);
    w.push(take(n));
    wt.push(take(n));
    b.push(hasBias[l] ? take(sizes[l + 1] as number) : 0);
  }
  const slots: Slot[] = [];
  for (let q = 0; q < nSlots; q++) {
    const x = take(rows * (sizes[0] as number));
    const z: number[] = [];
    const a: number[] = [];
    for (let l = 0; l < depth; l++) {
      const n = rows * (sizes[l + 1] as number);
      z.push(take(n));
      a.push(plan.kinds[l] === 0 ? (z[l] as number) : take(n));
    }
    slots.push({ x, z, a });
  }
  const widest = Math.max(...sizes);
  const g = take(rows * widest);
  const g2 = take(rows * widest);
  const gt = take(rows * widest);
  const ht = take(rows * widest);
  const dw: number[] = [];
  const db: number[] = [];
  for (let l = 0; l < depth; l++) {
    dw.push(take((sizes[l + 1] as number) * (sizes[l] as number)));
    db.push(take(sizes[l + 1] as number));
  }
  const acc: number[] = [];
  if (withSums) {
    for (let l = 0; l < depth; l++) {
      acc.push(take(2 * (sizes[l + 1] as number) * (sizes[l] as number)));
      if (hasBias[l]) acc.push(take(2 * (sizes[l + 1] as number)));
    }
  }
  return { w, wt, b, slots, g, g2, gt, ht, dw, db, acc, total: top };
}

/**
 * The forward passes host sessions keep, for one network, row count and set of weights: a
 * ring of slots, each with the input it was run at. Host sessions of one solve share it (the
 * forward solve, the backward pass's recomputed stages and its VJPs), so a VJP at a point the
 * solve evaluated runs only the backward pass. The tensor op, which lays out the same memory,
 * drops it.
 */
interface HostCache {
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
let hostCache: HostCache | undefined;

/** Forgets the host cache (its memory is about to be reused), moving kept sums out first. */
function dropHostCache(): void {
  const c = hostCache;
  hostCache = undefined;
  c?.onDrop?.();
}

/** Bytes of host-cache slots at most (fewer slots for larger batches). */
const HOST_CACHE_BYTES = 32 * 1024 * 1024;

let view: Float32Array | undefined;

/** The module's memory as floats, grown to at least `bytes` (one view, renewed after growth). */
function heap(k: Kernels, bytes: number): Float32Array {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  if (view === undefined || view.buffer !== k.memory.buffer) view = new Float32Array(k.memory.buffer);
  return view;
}

// The weights last copied in, by tensor data identity: tfjs tensors are immutable, so the same
// dataIds mean the same values and a solve's many evaluations copy the weights once.
let weightsKey: readonly object[] = [];
let weightsPlanKey = '';

function copyWeights(k: Kernels, f32: Float32Array, plan: Plan, lay: Layout, params: readonly tf.Tensor[]): void {
  if (plan.key === weightsPlanKey && params.length === weightsKey.length) {
    let same = true;
    for (let i = 0; i < params.length && same; i++) same = dataIdentity(params[i] as tf.Tensor) === weightsKey[i];
    if (same) return;
  }
  weightsKey = [];
  let p = 0;
  const depth = plan.sizes.length - 1;
  for (let l = 0; l < depth; l++) {
    const nOut = plan.sizes[l + 1] as number;
    const nIn = plan.sizes[l] as number;
    f32.set((params[p++] as tf.Tensor).dataSync() as Float32Array, (lay.w[l] as number) / 4);
    k.transpose(lay.w[l] as number, lay.wt[l] as number, nOut, nIn);
    if (plan.hasBias[l]) f32.set((params[p++] as tf.Tensor).dataSync() as Float32Array, (lay.b[l] as number) / 4);
  }
  weightsKey = params.map(dataIdentity);
  weightsPlanKey = plan.key;
}

/** Runs the forward pass in the module; the input and activations stay in `slot`. */
function forwardInMemory(
  k: Kernels,
  plan: Plan,
  lay: Layout,
  slot: Slot,
  x: ArrayLike<number>,
  rows: number,
  kinds: readonly number[],
): Float32Array {
  const f32 = heap(k, lay.total);
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
function savedFloats(plan: Plan, rows: number): number {
  let n = 0;
  for (let l = 0; l < plan.kinds.length; l++) n += (plan.kinds[l] === 0 ? 1 : 2) * rows * (plan.sizes[l + 1] as number);
  return n;
}

/** Copies every z and a of `slot` out (`save`) or back in from `saved`. */
function moveActivations(f32: Float32Array, plan: Plan, slot: Slot, rows: number, saved?: Float32Array): Float32Array {
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
function backwardInMemory(
  k: Kernels,
  plan: Plan,
  lay: Layout,
  slot: Slot,
  dy: ArrayLike<number>,
  rows: number,
  kinds: readonly number[],
): number {
  const f32 = heap(k, lay.total);
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
function readGrads(k: Kernels, plan: Plan, lay: Layout, dx: number, rows: number): Float32Array[] {
  const f32 = heap(k, 0);
  const read = (at: number, n: number) => f32.slice(at / 4, at / 4 + n);
  const grads = [read(dx, rows * (plan.sizes[0] as number))];
  for (let l = 0; l < plan.kinds.length; l++) {
    grads.push(read(lay.dw[l] as number, (plan.sizes[l + 1] as number) * (plan.sizes[l] as number)));
    if (plan.hasBias[l]) grads.push(read(lay.db[l] as number, plan.sizes[l + 1] as number));
  }
  return grads;
}

const ACT_REFERENCE: Readonly<Record<number, (z: tf.Tensor) => tf.Tensor>> = {
  0: (z) => z,
  1: (z) => tf.relu(z),
  2: (z) => tf.tanh(z),
  3: (z) => tf.sigmoid(z),
  4: (z) => tf.softplus(z),
};

/**
 * The gradients by tfjs ops, differentiable themselves: used when a gradient of the gradient is
 * being recorded (the fused backward is first-order only).
 */
function referenceGrads(plan: Plan, x: tf.Tensor2D, params: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  const depth = plan.kinds.length;
  const hs: tf.Tensor2D[] = [x];
  const zs: tf.Tensor2D[] = [];
  const ws: tf.Tensor2D[] = [];
  let p = 0;
  for (let l = 0; l < depth; l++) {
    const w = params[p++] as tf.Tensor2D;
    ws.push(w);
    let z: tf.Tensor2D = tf.matMul(hs[l] as tf.Tensor2D, w, false, true);
    if (plan.hasBias[l]) z = tf.add(z, params[p++] as tf.Tensor) as tf.Tensor2D;
    zs.push(z);
    hs.push((ACT_REFERENCE[plan.kinds[l] as number] as (z: tf.Tensor) => tf.Tensor)(z) as tf.Tensor2D);
  }
  let g = dy as tf.Tensor2D;
  const out: tf.Tensor[][] = [];
  for (let l = depth - 1; l >= 0; l--) {
    const z = zs[l] as tf.Tensor2D;
    const a = hs[l + 1] as tf.Tensor2D;
    const kind = plan.kinds[l];
    if (kind === 1) g = tf.mul(g, tf.step(z));
    else if (kind === 2) g = tf.mul(g, tf.sub(1, tf.square(a)));
    else if (kind === 3) g = tf.mul(g, tf.mul(a, tf.sub(1, a)));
    else if (kind === 4) g = tf.mul(g, tf.sigmoid(z));
    const layer: tf.Tensor[] = [tf.matMul(g, hs[l] as tf.Tensor2D, true, false)];
    if (plan.hasBias[l]) layer.push(tf.sum(g, 0));
    out.unshift(layer);
    g = tf.matMul(g, ws[l] as tf.Tensor2D);
  }
  return [g, ...out.flat()];
}

const ops = new Map<string, (...inputs: tf.Tensor[]) => tf.Tensor>();

/** The custom op for one network structure (cached): inputs x2, then weight (and bias) per layer. */
function fusedOp(plan: Plan): (...inputs: tf.Tensor[]) => tf.Tensor {
  const key = plan.key;
  const cached = ops.get(key);
  if (cached !== undefined) return cached;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, ...params] = args as tf.Tensor[];
    const rows = (x as tf.Tensor).shape[0] as number;
    const k = loadKernels() as Kernels;
    const lay = layoutFor(plan, rows);
    const slot = lay.slots[0] as Slot;
    dropHostCache();
    copyWeights(k, heap(k, lay.total), plan, lay, params);
    // a tape is recording: keep every z and a for the backward pass (one tensor)
    const recording = tapeRecording();
    const kinds = recording ? plan.keepKinds : plan.kinds;
    const mem = forwardInMemory(k, plan, lay, slot, (x as tf.Tensor).dataSync(), rows, kinds);
    const outSize = plan.sizes[plan.sizes.length - 1] as number;
    const at = (slot.a[plan.kinds.length - 1] as number) / 4;
    const value = tf.tensor2d(mem.slice(at, at + rows * outSize), [rows, outSize]);
    const kept = [x as tf.Tensor, ...params];
    save(recording ? [...kept, tf.tensor1d(moveActivations(mem, plan, slot, rows))] : kept);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const xs = saved[0] as tf.Tensor2D;
        const ws = saved.slice(1, 1 + params.length);
        const acts = saved[1 + params.length] as tf.Tensor1D | undefined;
        if (tapeRecording()) {
          return referenceGrads(plan, xs, ws, dy);
        }
        const kk = loadKernels() as Kernels;
        const n = xs.shape[0];
        const l2 = layoutFor(plan, n);
        const slot2 = l2.slots[0] as Slot;
        dropHostCache();
        const mem2 = heap(kk, l2.total);
        copyWeights(kk, mem2, plan, l2, ws);
        if (acts === undefined) forwardInMemory(kk, plan, l2, slot2, xs.dataSync(), n, plan.keepKinds);
        else {
          mem2.set(xs.dataSync(), slot2.x / 4);
          moveActivations(mem2, plan, slot2, n, acts.dataSync() as Float32Array);
        }
        const dx = backwardInMemory(kk, plan, l2, slot2, dy.dataSync(), n, plan.keepKinds);
        const grads = readGrads(kk, plan, l2, dx, n);
        const shapes = [xs.shape as number[], ...ws.map((t) => t.shape)];
        return grads.map((g, i) => tf.tensor(g, shapes[i] as number[]));
      },
    };
  }) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
  ops.set(key, op);
  return op;
}

/**
 * The plan for `layers` with these activation codes on inputs of last axis `inSize` and `rows`
 * rows, or `undefined` when the fused kernels cannot take them: a backend other than cpu or
 * wasm, a non-float32 tensor, shapes that do not chain, or a workspace over
 * {@link FUSED_MLP_MAX_BYTES}.
 */
function fusablePlan(
  layers: readonly LinearParams[],
  kinds: readonly number[],
  inSize: number,
  rows: number,
): Plan | undefined {
  const backend = tf.getBackend();
  if (backend !== 'cpu' && backend !== 'wasm') return undefined;
  if (layers.length === 0 || layers.length !== kinds.length || loadKernels() === null) return undefined;
  let width = inSize;
  for (const p of layers) {
    const w = p?.weight;
    if (!(w instanceof tf.Tensor) || w.rank !== 2 || w.dtype !== 'float32' || w.shape[1] !== width) return undefined;
    const b = p.bias;
    if (
      b !== undefined &&
      (!(b instanceof tf.Tensor) || b.rank !== 1 || b.dtype !== 'float32' || b.shape[0] !== w.shape[0])
    ) {
      return undefined;
    }
    width = w.shape[0] as number;
  }
  const plan = planOf(layers, kinds);
  return layoutFor(plan, rows).total <= FUSED_MLP_MAX_BYTES ? plan : undefined;
}

/**
 * Whether {@link fusedMlpApply} can take `x` and `layers` with these activation codes: the cpu
 * or wasm backend, float32 throughout, shapes that chain, and a workspace within
 * {@link FUSED_MLP_MAX_BYTES}.
 */
export function canFuse(layers: readonly LinearParams[], kinds: readonly number[], x: tf.Tensor): boolean {
  return planFor(layers, kinds, x) !== undefined;
}

function planFor(layers: readonly LinearParams[], kinds: readonly number[], x: tf.Tensor): Plan | undefined {
  if (x.dtype !== 'float32' || x.rank < 1) return undefined;
  const inSize = x.shape[x.rank - 1] as number;
  return inSize > 0 ? fusablePlan(layers, kinds, inSize, x.size / inSize) : undefined;
}

/** Whether `params` hold exactly the weights and biases in the module's weight buffers. */
function sameWeights(k: Kernels, plan: Plan, lay: Layout, params: readonly tf.Tensor[]): boolean {
  if (plan.key !== weightsPlanKey) return false;
  const f32 = heap(k, 0);
  const same = (t: tf.Tensor, at: number) => {
    const v = t.dataSync() as Float32Array;
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], f32[at / 4 + i])) return false;
    return true;
  };
  let p = 0;
  for (let l = 0; l < plan.kinds.length; l++) {
    if (!same(params[p++] as tf.Tensor, lay.w[l] as number)) return false;
    if (plan.hasBias[l] && !same(params[p++] as tf.Tensor, lay.b[l] as number)) return false;
  }
  return true;
}

function addInto(acc: Float64Array | undefined, f32: Float32Array, at: number): void {
  if (acc === undefined) return;
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (f32[at + i] as number);
}

/**
 * Host kernels (see `withHostKernels` in @odekit/core) for the vector field
 * `(t, y, params) => apply(params, y)` of an MLP with these activation codes: solvers on the
 * cpu and wasm backends then evaluate it, and take its vector–Jacobian products, by direct calls
 * into the fused kernels, with no tensors or tape. Covers a single state tensor `[..., n]` with
 * `n` the MLP's input and output size and `params` a tree `{ layers }` the kernels can take.
 */
export function mlpHostKernels(kinds: readonly number[]): HostFieldKernels {
  return {
    open(args, yShape, argTensors): HostFieldSession | undefined {
      const layers = (args as { layers?: unknown } | null | undefined)?.layers;
      if (!Array.isArray(layers) || yShape.length === 0) return undefined;
      const inSize = yShape[yShape.length - 1] as number;
      const rows = yShape.reduce((a, b) => a * b, 1) / inSize;
      if (!(inSize > 0)) return undefined;
      const plan = fusablePlan(layers as LinearParams[], kinds, inSize, rows);
      if (plan === undefined || plan.sizes[plan.sizes.length - 1] !== inSize) return undefined;
      const k = loadKernels() as Kernels;
      const params: tf.Tensor[] = (layers as LinearParams[]).flatMap((p) =>
        p.bias === undefined ? [p.weight] : [p.weight, p.bias],
      );
      const index = params.map((t) => argTensors.indexOf(t));
      const n = rows * inSize;
      const last = plan.kinds.length - 1;
      const base = layoutFor(plan, rows, 0, true).total;
      const slotBytes = layoutFor(plan, rows, 1, true).total - base;
      const room = Math.min(HOST_CACHE_BYTES, FUSED_MLP_MAX_BYTES - base);
      const nSlots = Math.max(1, Math.min(256, Math.floor(room / slotBytes)));
      const input = new Float32Array(n);
      const inputBits = new Int32Array(input.buffer);
      /** The cache for these weights, made anew when another network or call has used the memory. */
      const cache = (): HostCache => {
        const c = hostCache;
        if (c !== undefined && c.planKey === plan.key && c.rows === rows) {
          if (params.every((t, i) => dataIdentity(t) === c.weights[i])) return c;
          const ids = params.map(dataIdentity);
          // other tensors with the same values (the wasm backend's clones copy their data, so an
          // adjoint's saved parameters are new tensors): keep the cache, under the new identities
          if (sameWeights(k, plan, c.lay, params)) {
            c.weights = ids;
            weightsKey = ids;
            return c;
          }
        }
        const ids = params.map(dataIdentity);
        const lay = layoutFor(plan, rows, nSlots, true);
        dropHostCache();
        // the sums start at zero
        const f64 = new Float64Array(heap(k, lay.total).buffer);
        lay.acc.forEach((at, j) => {
          f64.fill(0, at / 8, at / 8 + (params[j] as tf.Tensor).size);
        });
        hostCache = {
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
        return hostCache;
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
        copyWeights(k, heap(k, c.lay.total), plan, c.lay, params);
        forwardInMemory(k, plan, c.lay, c.lay.slots[q] as Slot, input, rows, kinds);
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
        return heap(k, 0).slice(at, at + n);
      };
      // vjpDeferred's sums: in the cache's float64 accumulators while it lives, moved to
      // `spilled` when it goes (or at flush)
      let pendingIn: HostCache | undefined;
      const spilled: (Float64Array | undefined)[] = params.map(() => undefined);
      const spill = () => {
        const c = pendingIn;
        if (c === undefined) return;
        const f64 = new Float64Array(heap(k, 0).buffer);
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
        const dx = backwardInMemory(k, plan, c.lay, c.lay.slots[q] as Slot, ct, rows, c.kinds[q] as number[]);
        return { c, dx };
      };
      return {
        evaluate: (_t, y) => {
          const c = cache();
          // under a recording tape a backward pass will follow: keep softplus′ at once
          const recording = tapeRecording();
          return output(c, forward(c, load(y), recording ? plan.keepKinds : plan.kinds));
        },
        vjp: (t, y, ct, argGrads, onValue) => {
          const { c, dx } = backwardAt(t, y, ct, onValue);
          const f32 = heap(k, 0);
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
          return heap(k, 0).slice(dx / 4, dx / 4 + n);
        },
        flushArgGrads: (argGrads) => {
          if (pendingIn !== undefined && pendingIn === hostCache) spill();
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

function planOf(layers: readonly LinearParams[], kinds: readonly number[]): Plan {
  return {
    sizes: [layers[0]?.weight.shape[1] as number, ...layers.map((p) => p.weight.shape[0])],
    kinds: [...kinds],
    hasBias: layers.map((p) => p.bias !== undefined),
    key: `${[layers[0]?.weight.shape[1], ...layers.map((p) => p.weight.shape[0])].join(',')}|${layers.map((p) => p.bias !== undefined).join(',')}|${kinds.join(',')}`,
    keepKinds: kinds.map((c) => (c === SOFTPLUS ? SOFTPLUS_KEEP : c)),
  };
}

/**
 * The MLP `layers` applied to `x [..., inSize]` as one custom op: the forward pass (every
 * affine map and activation) runs in one call into odekit's SIMD WebAssembly module, and so
 * does the gradient (first order; a gradient of the gradient goes through tfjs ops). Values
 * agree with the tfjs ops to float32 rounding (activations within 4e-7 relative). Returns `undefined`
 * (do nothing) where {@link canFuse} does not hold. Borrows its inputs and returns a new tensor.
 */
export function fusedMlpApply(
  layers: readonly LinearParams[],
  kinds: readonly number[],
  x: tf.Tensor,
): tf.Tensor | undefined {
  const plan = planFor(layers, kinds, x);
  if (plan === undefined) return undefined;
  const inSize = plan.sizes[0] as number;
  const outSize = plan.sizes[plan.sizes.length - 1] as number;
  const inputs: tf.Tensor[] = [];
  for (const p of layers) {
    inputs.push(p.weight);
    if (p.bias !== undefined) inputs.push(p.bias);
  }
  const op = fusedOp(plan);
  if (x.rank === 2) return op(x, ...inputs);
  return tf.tidy(() => tf.reshape(op(tf.reshape(x, [-1, inSize]), ...inputs), [...x.shape.slice(0, -1), outSize]));
}

import { gradientIsRecording } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import type { LinearParams } from '../linear.js';
import { type Plan, planOf, type Slot } from './layout.js';
import { FUSED_MLP_MAX_BYTES, type Kernels } from './module.js';
import { backwardInMemory, forwardInMemory, moveActivations, readGrads } from './passes.js';
import { referenceGrads } from './reference-grads.js';
import { type FusedMlpRuntime, fusedMlpRuntime } from './runtime.js';

/** The custom op for one network structure (cached): inputs x2, then weight (and bias) per layer. */
function fusedOp(rt: FusedMlpRuntime, plan: Plan): (...inputs: tf.Tensor[]) => tf.Tensor {
  const key = plan.key;
  const cached = rt.ops.get(key);
  if (cached !== undefined) return cached;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, ...params] = args as tf.Tensor[];
    const rows = (x as tf.Tensor).shape[0] as number;
    const k = rt.load() as Kernels;
    const lay = rt.layoutFor(plan, rows);
    const slot = lay.slots[0] as Slot;
    rt.dropHostCache();
    rt.weights.copy(k, rt.heap(lay.total), plan, lay, params);
    // a tape is recording: keep every z and a for the backward pass (one tensor)
    const recording = gradientIsRecording();
    const kinds = recording ? plan.keepKinds : plan.kinds;
    const mem = forwardInMemory(rt, k, plan, lay, slot, (x as tf.Tensor).dataSync(), rows, kinds);
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
        if (gradientIsRecording()) {
          return referenceGrads(plan, xs, ws, dy);
        }
        const kk = rt.load() as Kernels;
        const n = xs.shape[0];
        const l2 = rt.layoutFor(plan, n);
        const slot2 = l2.slots[0] as Slot;
        rt.dropHostCache();
        const mem2 = rt.heap(l2.total);
        rt.weights.copy(kk, mem2, plan, l2, ws);
        if (acts === undefined) forwardInMemory(rt, kk, plan, l2, slot2, xs.dataSync(), n, plan.keepKinds);
        else {
          mem2.set(xs.dataSync(), slot2.x / 4);
          moveActivations(mem2, plan, slot2, n, acts.dataSync() as Float32Array);
        }
        const dx = backwardInMemory(rt, kk, plan, l2, slot2, dy.dataSync(), n, plan.keepKinds);
        const grads = readGrads(rt, plan, l2, dx, n);
        const shapes = [xs.shape as number[], ...ws.map((t) => t.shape)];
        return grads.map((g, i) => tf.tensor(g, shapes[i] as number[]));
      },
    };
  }) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
  rt.ops.set(key, op);
  return op;
}

/**
 * The plan for `layers` with these activation codes on inputs of last axis `inSize` and `rows`
 * rows, or `undefined` when the fused kernels cannot take them: a backend other than cpu or
 * wasm, a non-float32 tensor, shapes that do not chain, or a workspace over
 * {@link FUSED_MLP_MAX_BYTES}.
 */
export function fusablePlan(
  rt: FusedMlpRuntime,
  layers: readonly LinearParams[],
  kinds: readonly number[],
  inSize: number,
  rows: number,
): Plan | undefined {
  const backend = tf.getBackend();
  if (backend !== 'cpu' && backend !== 'wasm') return undefined;
  if (layers.length === 0 || layers.length !== kinds.length || rt.load() === null) return undefined;
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
  return rt.layoutFor(plan, rows).total <= FUSED_MLP_MAX_BYTES ? plan : undefined;
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
  return inSize > 0 ? fusablePlan(fusedMlpRuntime, layers, kinds, inSize, x.size / inSize) : undefined;
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
  const op = fusedOp(fusedMlpRuntime, plan);
  if (x.rank === 2) return op(x, ...inputs);
  return tf.tidy(() => tf.reshape(op(tf.reshape(x, [-1, inSize]), ...inputs), [...x.shape.slice(0, -1), outSize]));
}

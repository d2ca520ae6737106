import { dataIdentity } from '@odekit/core/internal';
import type * as tf from '@tensorflow/tfjs-core';
import type { Layout, Plan } from './layout.js';
import type { Kernels } from './module.js';

/**
 * Which weights sit in the module's weight buffers, by tensor data identity: tfjs ops never write
 * a tensor's values in place, so the same data identities mean the same values and a solve's many
 * evaluations copy the weights once. Key: the plan and the weights' data identities; lifetime:
 * until other weights (or another network) are copied in. It assumes the arrays behind the
 * tensors are never mutated after the tensors are made (see `dataIdentity`).
 */
export class WeightsCache {
  private key: readonly object[] = [];
  private planKey = '';

  /** Copies `params` (weight, then bias, per layer) into the layout's buffers unless they are there. */
  copy(k: Kernels, f32: Float32Array, plan: Plan, lay: Layout, params: readonly tf.Tensor[]): void {
    if (plan.key === this.planKey && params.length === this.key.length) {
      let same = true;
      for (let i = 0; i < params.length && same; i++) same = dataIdentity(params[i] as tf.Tensor) === this.key[i];
      if (same) return;
    }
    this.key = [];
    let p = 0;
    const depth = plan.sizes.length - 1;
    for (let l = 0; l < depth; l++) {
      const nOut = plan.sizes[l + 1] as number;
      const nIn = plan.sizes[l] as number;
      f32.set((params[p++] as tf.Tensor).dataSync() as Float32Array, (lay.w[l] as number) / 4);
      k.transpose(lay.w[l] as number, lay.wt[l] as number, nOut, nIn);
      if (plan.hasBias[l]) f32.set((params[p++] as tf.Tensor).dataSync() as Float32Array, (lay.b[l] as number) / 4);
    }
    this.key = params.map(dataIdentity);
    this.planKey = plan.key;
  }

  /** Whether `params` hold exactly the values in the buffers (compared value by value). */
  sameValues(f32: Float32Array, plan: Plan, lay: Layout, params: readonly tf.Tensor[]): boolean {
    if (plan.key !== this.planKey) return false;
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

  /** Records that the buffers hold the values of tensors with these data identities. */
  adopt(ids: readonly object[]): void {
    this.key = ids;
  }
}

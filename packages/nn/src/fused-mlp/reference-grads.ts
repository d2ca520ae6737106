import * as tf from '@tensorflow/tfjs-core';
import type { Plan } from './layout.js';

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
export function referenceGrads(plan: Plan, x: tf.Tensor2D, params: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
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

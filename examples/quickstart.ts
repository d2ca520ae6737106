// The main job until the demo app exists: fit the Lotka–Volterra parameters α, β, γ, δ to a
// noisy series by gradient descent through a hand-rolled RK4 integrator, with @odekit/core's
// valueAndGrad over a pytree of parameters.

import { createRng, disposeTree, silenceTfjs, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';

silenceTfjs();
await tf.setBackend('cpu');

type Params = { alpha: tf.Scalar; beta: tf.Scalar; gamma: tf.Scalar; delta: tf.Scalar };
const dt = 0.05;
const nSteps = 100;

function vectorField(p: Params, y: tf.Tensor1D): tf.Tensor1D {
  const r = y.slice(0, 1);
  const c = y.slice(1, 1);
  const dr = r.mul(p.alpha).sub(r.mul(c).mul(p.beta));
  const dc = c.mul(p.gamma).neg().add(r.mul(c).mul(p.delta));
  return tf.concat([dr, dc]) as tf.Tensor1D;
}

function simulate(p: Params, y0: tf.Tensor1D): tf.Tensor2D {
  const ys: tf.Tensor1D[] = [y0];
  let y = y0;
  for (let i = 0; i < nSteps; i++) {
    const k1 = vectorField(p, y);
    const k2 = vectorField(p, y.add(k1.mul(dt / 2)));
    const k3 = vectorField(p, y.add(k2.mul(dt / 2)));
    const k4 = vectorField(p, y.add(k3.mul(dt)));
    y = y.add(
      k1
        .add(k2.mul(2))
        .add(k3.mul(2))
        .add(k4)
        .mul(dt / 6),
    );
    ys.push(y);
  }
  return tf.stack(ys) as tf.Tensor2D;
}

const truth: Params = { alpha: tf.scalar(1.5), beta: tf.scalar(1), gamma: tf.scalar(3), delta: tf.scalar(1) };
const y0 = tf.tensor1d([2, 1]);
const rng = createRng(0);
const data = tf.tidy(() => {
  const clean = simulate(truth, y0);
  return clean.add(rng.normal(clean.shape, 0, 0.01));
});
disposeTree(truth);

let params: Params = { alpha: tf.scalar(1), beta: tf.scalar(1), gamma: tf.scalar(1), delta: tf.scalar(1) };
const loss = (p: Params) => tf.mean(tf.square(simulate(p, y0).sub(data)));
const step = valueAndGrad(loss);
const lr = 0.1;
// Adam by hand, to keep this example inside @odekit/core
let m = { alpha: 0, beta: 0, gamma: 0, delta: 0 } as Record<keyof Params, number>;
let v = { ...m };
for (let it = 1; it <= 300; it++) {
  const { value, grads } = step(params);
  const next = {} as Params;
  const mNext = { ...m };
  const vNext = { ...v };
  for (const k of Object.keys(params) as (keyof Params)[]) {
    const g = grads[k].dataSync()[0] as number;
    mNext[k] = 0.9 * m[k] + 0.1 * g;
    vNext[k] = 0.999 * v[k] + 0.001 * g * g;
    const upd = (lr * (mNext[k] / (1 - 0.9 ** it))) / (Math.sqrt(vNext[k] / (1 - 0.999 ** it)) + 1e-8);
    next[k] = tf.scalar((params[k].dataSync()[0] as number) - upd);
  }
  m = mNext;
  v = vNext;
  if (it % 50 === 0) console.log(`step ${it}: loss ${(value.dataSync()[0] as number).toExponential(3)}`);
  disposeTree([value, grads, params]);
  params = next;
}
const fitted = Object.fromEntries(
  Object.entries(params).map(([k, t]) => [k, Number((t.dataSync()[0] as number).toFixed(3))]),
);
console.log('fitted (truth α=1.5 β=1 γ=3 δ=1):', fitted);
disposeTree([params, data, y0]);

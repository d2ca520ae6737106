// W2: one full training step of the hybrid LV model from the initial parameters: forward solve
// (dopri5 1e-3/1e-6) + loss + backward + one Adam update (lr 1e-2, betas 0.9/0.999, eps 1e-8),
// as workloads.json defines it. Prints {"workload":"W2","case":"train-step","backend","msMedian"}.
import { disposeTree, valueAndGrad } from '@odekit/core';
import { type LvHybridParams, loadWorkloads, lvHybridParams } from '@odekit/testing';
import { adam, applyUpdates } from '@odekit/train';
import { emit, medianMs, setup, tf } from './common.js';
import { w2Loss } from './w2-loss.js';

const backend = await setup();
const w = loadWorkloads().W2;
const params = lvHybridParams(w.init);
// `train-step` is diffeqsolve's default (the field compiled for host arrays); `compile:false` runs
// the field as tfjs ops (the opt-out), whose VJPs the default adjoint batches over the stages
// (`batchStages: 'auto'`: the field ignores t and maps over the leading axis); `-per-stage-vjp`
// forces one tfjs VJP per stage for comparison.
const makeLoss = (
  batchStages: boolean | 'auto',
  field: 'default' | 'tensor' | 'compiled',
): ((p: LvHybridParams) => tf.Tensor) => w2Loss(batchStages, undefined, field).loss;
const optimizer = adam({ learningRate: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8 });
const state0 = optimizer.init(params);
let lossValue = Number.NaN;
const step = (vg: ReturnType<typeof valueAndGrad<LvHybridParams, []>>) => {
  const out = tf.tidy(() => {
    const { value, grads } = vg(params);
    const [updates, state] = optimizer.update(grads, state0, params);
    const next = applyUpdates(params, updates);
    return { value, next, state } as unknown as tf.TensorContainer;
  }) as unknown as { value: tf.Tensor; next: LvHybridParams; state: unknown };
  lossValue = out.value.dataSync()[0] as number; // the step's one sync point, as in fit
  disposeTree([out.value, out.next, out.state as never]);
};
for (const [name, batchStages, field] of [
  ['train-step', 'auto', 'default'],
  ['train-step compile:false', 'auto', 'tensor'],
  ['train-step-per-stage-vjp', false, 'tensor'],
  ['train-step-compileField', 'auto', 'compiled'],
] as const) {
  const vg = valueAndGrad(makeLoss(batchStages, field));
  const ms = medianMs(() => step(vg), 20, 30);
  emit({ workload: 'W2', case: name, backend, msMedian: Number(ms.toFixed(3)), loss: Number(lossValue.toFixed(6)) });
}

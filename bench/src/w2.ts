// W2: one gradient evaluation of the hybrid LV model (forward solve + loss + backward),
// dopri5 1e-3/1e-6, from the initial parameters (see workloads.json).
import { valueAndGrad } from '@odekit/core';
import { loadWorkloads, lvHybridFlat, lvHybridParams } from '@odekit/testing';
import { emit, medianMs, setup } from './common.js';
import { w2Loss } from './w2-loss.js';

const backend = await setup();
const w = loadWorkloads().W2;
const params = lvHybridParams(w.init);
let nfe = 0;
// `grad` is diffeqsolve's default (the field compiled for host arrays); `compile:false` and
// `-per-stage-vjp` run the field as tfjs ops (the opt-out; batched or per-stage VJPs).
for (const [name, batchStages, field] of [
  ['grad', 'auto', 'default'],
  ['grad compile:false', 'auto', 'tensor'],
  ['grad-per-stage-vjp', false, 'tensor'],
  ['grad-compileField', 'auto', 'compiled'],
] as const) {
  const { loss } = w2Loss(
    batchStages,
    (stats) => {
      nfe = stats.numFnEvals;
    },
    field,
  );
  const vg = valueAndGrad(loss);
  const ms = medianMs(
    () => {
      const { value, grads } = vg(params);
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    },
    20,
    30,
  );
  const { value, grads } = vg(params);
  const g = lvHybridFlat(grads);
  const ref = w.reference_gradient.grad;
  const num = Math.sqrt(g.reduce((a, x, i) => a + (x - (ref[i] as number)) ** 2, 0));
  const den = Math.sqrt(ref.reduce((a, x) => a + x * x, 0));
  emit({
    workload: 'W2',
    case: name,
    backend,
    msMedian: Number(ms.toFixed(3)),
    nfe,
    loss: Number((value.dataSync()[0] as number).toFixed(6)),
    gradRelErr: Number((num / den).toExponential(3)),
  });
  for (const g of Object.values(grads)) g.dispose();
  value.dispose();
}

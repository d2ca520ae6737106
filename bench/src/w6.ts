// W6: one training step (loss, gradient, Adam) of the W2 hybrid LV model with the latitude L as a
// third network input, over 64 trajectories of 20–40 irregular points on [0, 10] with 20 % of
// the values missing, through @odekit/observables (one batched solve over the trajectories,
// saved from dense output). W2's compiled train step is measured in the same run, both at W2's
// settings (dopri5, rtol 1e-3, atol 1e-6, compiled field). Prints
// {"workload":"W6","case":"train-step","msMedian","w2MsMedian","ratio"} and a second line at
// the package's default settings (tsit5, rtol = atol = 1e-6). Each line also gives the medians
// of the process's CPU time per step (cpuMsMedian, w2CpuMsMedian, cpuRatio).
import { createRng, disposeTree, valueAndGrad } from '@odekit/core';
import { createDataset, type EquationsParams, modelFromEquations } from '@odekit/observables';
import { dopri5, pidController } from '@odekit/solvers';
import type { LvHybridParams } from '@odekit/testing';
import { adam, applyUpdates } from '@odekit/train';
import { emit, setup, tf } from './common.js';
import { w2Loss } from './w2-loss.js';

const backend = await setup();
const rng = createRng(6);
const B = 64;

// The truth: W2's (NN(r, c) = -0.5 c^2 / (1 + 0.5 c)) with alpha and y0 depending on L.
const truth = modelFromEquations({
  states: ['r', 'c'],
  parameters: { alpha: 1.5, beta: 1, gamma: 3, delta: 1 },
  conditions: ['L'],
  equations: { r: 'alpha*(1 + 0.3*L)*r - beta*r*c', c: '-gamma*c + delta*r*(c - 0.5*c^2/(1 + 0.5*c))' },
  initial: { r: '2 + 0.5*L', c: '1 - 0.3*L' },
});
const grids = Array.from({ length: B }, () => {
  const n = 20 + Math.floor(rng.nextFloat() * 21);
  const inner = Array.from({ length: n - 1 }, () => 0.05 + rng.nextFloat() * 9.95).sort((a, b) => a - b);
  return [0, ...inner.filter((t, k) => k === 0 || t > (inner[k - 1] as number))];
});
const skeleton = createDataset({
  channels: ['r', 'c'],
  conditions: ['L'],
  trajectories: grids.map((times, b) => ({
    id: `t${b}`,
    times,
    values: { r: times.map(() => 1), c: times.map(() => 1) },
    conditions: { L: b / (B - 1) },
  })),
});
const truthParams = truth.initParams();
const clean = truth.predictValues(truthParams, skeleton);
disposeTree(truthParams);
const data = createDataset({
  channels: ['r', 'c'],
  conditions: ['L'],
  trajectories: clean.map((tr, b) => ({
    id: tr.id,
    times: tr.times,
    values: Object.fromEntries(
      ['r', 'c'].map((ch) => [
        ch,
        Array.from(tr.channels[ch] as Float64Array, (v, k) => (k > 0 && rng.nextFloat() < 0.2 ? Number.NaN : v)),
      ]),
    ),
    conditions: { L: b / (B - 1) },
  })),
});
let missing = 0;
let total = 0;
for (const tr of data.trajectories) {
  for (const ch of data.channels) {
    for (const v of tr.values[ch] ?? []) {
      total++;
      if (Number.isNaN(v)) missing++;
    }
  }
}

const spec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.5, beta: 1, gamma: 3, delta: 1 },
  conditions: ['L'],
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*(c + NN(r, c, L))' },
};
const optimizer = adam({ learningRate: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8 });

function trainStep<P extends EquationsParams | LvHybridParams>(loss: (p: P) => tf.Tensor, params: P): () => number {
  const vg = valueAndGrad(loss);
  const state0 = optimizer.init(params);
  let value = Number.NaN;
  return () => {
    const out = tf.tidy(() => {
      const { value: v, grads } = vg(params);
      const [updates, state] = optimizer.update(grads, state0, params);
      return { v, next: applyUpdates(params, updates), state } as unknown as tf.TensorContainer;
    }) as unknown as { v: tf.Tensor; next: P; state: unknown };
    value = out.v.dataSync()[0] as number; // one sync point per step, as in fit
    disposeTree([out.v, out.next, out.state as never]);
    return value;
  };
}

const w2 = w2Loss('auto', undefined, 'compiled');
const w2Params = (await import('@odekit/testing')).lvHybridParams(w2.w.init);
const w2Step = trainStep(w2.loss, w2Params);

for (const [name, settings] of [
  ['train-step', { solver: dopri5(), stepsizeController: pidController({ rtol: 1e-3, atol: 1e-6 }) }],
  ['train-step-default-tolerances', {}],
] as const) {
  const reasons: string[] = [];
  const model = modelFromEquations(spec, { ...settings, compile: { onFallback: (r) => reasons.push(r) } });
  const params = model.initParams();
  const step = trainStep((p: EquationsParams) => model.loss(p, data), params);
  let loss = Number.NaN;
  const pred = model.predict(params, data);
  const stats = pred.stats;
  const points = pred.plan.gather.length;
  tf.dispose([pred.observations, pred.states]);
  // W6 and W2 alternately, so shared-CPU noise hits both alike; wall and CPU time per step (the
  // process's CPU time is far less distorted by other jobs on a busy machine)
  const w6Times: number[] = [];
  const w2Times: number[] = [];
  const w6Cpu: number[] = [];
  const w2Cpu: number[] = [];
  const timed = (fn: () => void, wall: number[], cpu: number[], runs: number, warmup: number) => {
    for (let i = 0; i < warmup; i++) fn();
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      fn();
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  };
  for (let i = 0; i < 3; i++) {
    timed(
      () => {
        loss = step();
      },
      w6Times,
      w6Cpu,
      7,
      i === 0 ? 3 : 1,
    );
    timed(() => w2Step(), w2Times, w2Cpu, 7, i === 0 ? 3 : 1);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const ms = med(w6Times);
  const w2Ms = med(w2Times);
  emit({
    workload: 'W6',
    case: name,
    backend,
    msMedian: Number(ms.toFixed(3)),
    w2MsMedian: Number(w2Ms.toFixed(3)),
    ratio: Number((ms / w2Ms).toFixed(2)),
    cpuMsMedian: Number(med(w6Cpu).toFixed(3)),
    w2CpuMsMedian: Number(med(w2Cpu).toFixed(3)),
    cpuRatio: Number((med(w6Cpu) / med(w2Cpu)).toFixed(2)),
    trajectories: B,
    points,
    saveTimes: pred.plan.saveTs.length,
    missingFraction: Number((missing / total).toFixed(3)),
    steps: stats.numAcceptedSteps,
    loss: Number(loss.toFixed(6)),
    compiled: reasons.length === 0,
  });
  disposeTree(params);
}
disposeTree(w2Params);

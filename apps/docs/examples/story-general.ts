// The general model of the odekit story, run by the docs build like examples/story.ts: several
// trajectories under different conditions (the latitude L), a learned initial condition
// y(0) = g_θ(L), a vector field conditioned on L, an observation of the state h_θ(y) and a hidden
// state, written as equations with @odekit/observables.

// #region data
import { disposeTree, silenceTfjs, useBackend } from '@odekit/core';
import { createDataset, modelFromEquations } from '@odekit/observables';
import { diffeqsolve, pidController, saveAt, tsit5 } from '@odekit/solvers';
import { adam, fit } from '@odekit/train';
import * as tf from '@tensorflow/tfjs';
import { figure, step } from './story-io.js';

silenceTfjs();
await useBackend('cpu');

// Three populations at latitudes L = 0, 0.5, 1. Rabbits grow faster further south, α(L) = 1 + 0.8 L,
// and start more numerous, r(0) = 1 + L. We never count the cats, and the rabbits only through
// what they leave behind: w = 0.2 r, measured at 25 times, some measurements missing.
const latitudes = [0, 0.5, 1];
const times = Array.from({ length: 25 }, (_, i) => (8 * i) / 24);
const truth = latitudes.map((L) => {
  const sol = diffeqsolve({
    term: (_t, y: tf.Tensor) => {
      const [r, c] = tf.unstack(y) as [tf.Tensor, tf.Tensor];
      return tf.stack([tf.sub(tf.mul(1 + 0.8 * L, r), tf.mul(r, c)), tf.sub(tf.mul(r, c), tf.mul(1.5, c))]);
    },
    solver: tsit5(),
    t0: 0,
    t1: 8,
    y0: tf.tensor1d([1 + L, 0.5]),
    saveat: saveAt({ ts: times }),
    stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
  });
  const ys = (sol.ys as tf.Tensor).arraySync() as number[][];
  sol.dispose();
  return ys;
});
const data = createDataset({
  channels: ['w'],
  conditions: ['L'],
  trajectories: latitudes.map((L, j) => ({
    id: `L=${L}`,
    times,
    values: { w: truth[j]!.map(([r], i) => (i % 7 === 3 ? Number.NaN : 0.2 * (r as number))) },
    conditions: { L },
  })),
});
console.log(`${data.trajectories.length} trajectories, channel ${data.channels}, condition ${data.conditions}`);
// #endregion data
step('data');

// #region model
// The model, written as equations. A(L) and G(L) are networks (any unknown call is one); the
// cats c are hidden (no observation reads them); w = k r is the observation function h(y).
const model = modelFromEquations(
  {
    states: ['r', 'c'],
    conditions: ['L'],
    parameters: { alpha: 1, beta: 1, gamma: 1, delta: 1, k: 0.5 },
    equations: { r: '(alpha + A(L))*r - beta*r*c', c: '-gamma*c + delta*r*c' },
    initial: { r: '1 + G(L)', c: { fit: 1 } },
    observations: { w: 'k*r' },
  },
  { seed: 0 },
);
console.log(`hidden states: ${model.hidden}; networks: ${Object.keys(model.networks)}`);

const trained = await fit({
  params: model.initParams(),
  loss: (p, _batch, ctx) => model.loss(p, data, { length: ctx.length }),
  optimizer: adam({ learningRate: 2e-2 }),
  stages: [
    { name: 'physics and start', train: (path) => !path.startsWith('networks'), length: 0.5, steps: 150 },
    { name: 'everything', train: 'all', length: 1, steps: 1200 },
  ],
});
for (const s of trained.stages) console.log(`${s.name}: loss ${s.finalLoss.toExponential(2)}`);
// #endregion model
step('model');

// #region learned
// What the networks learned: the growth rate α + A(L) and the initial rabbits 1 + G(L).
const p = trained.params;
const alpha = p.physics.alpha?.dataSync()[0] as number;
for (const L of latitudes) {
  const a = tf.tidy(() => model.networks.A!.layer.apply(p.networks.A!, tf.tensor2d([[L]])).dataSync()[0] as number);
  console.log(`L = ${L}: growth rate ${(alpha + a).toFixed(2)} (true ${(1 + 0.8 * L).toFixed(2)})`);
}
// #endregion learned
step('learned');

const curves = model.predictValues(p, data);
figure('general', {
  trajectories: curves.map((c, j) => ({
    id: c.id,
    times: Array.from(c.times),
    w: Array.from(c.channels.w as Float64Array),
    data: data.trajectories[j]!.values.w ? Array.from(data.trajectories[j]!.values.w as ArrayLike<number>) : [],
  })),
});
disposeTree(trained.params);

// @odekit/observables, example 1: a latitude-conditioned Lotka–Volterra model.
//
// Rabbits r and cats c live at 20 latitudes L in [0, 1]. The rabbits' growth rate and the
// starting numbers depend on L (α(L) = 1 + 0.8 L, r(0) = 1.5 + L, c(0) = 1 − 0.4 L), which the
// model does not know: it learns y(0) = g_θ(L) (networks G and H) and a vector field
// f_θ(y, L) in which the growth rate is α + A(L), with a network A, alongside β, γ, δ. It is
// trained on 16 latitudes and checked on the 4 held-out ones: the prediction error there stays
// within 3× the training error. Trained with `fit` (Adam) on growing prefixes of the series.
//
// Run from the repository root:
//   npx tsx --conditions=@odekit/source examples/observables-latitude.ts [--quick]
import { createRng, disposeTree, silenceTfjs, useBackend } from '@odekit/core';
import { createDataset, type EquationsParams, modelFromEquations, splitDataset } from '@odekit/observables';
import { adam, fit } from '@odekit/train';
import '@tensorflow/tfjs';

silenceTfjs();
await useBackend('cpu');
const quick = process.argv.includes('--quick');

// Synthetic data: 20 latitudes, 20 irregular times each on [0, 5], 2 % noise.
const rng = createRng(1);
const latitudes = Array.from({ length: 20 }, (_, i) => (i + rng.nextFloat()) / 20);
const truth = modelFromEquations({
  states: ['r', 'c'],
  parameters: { beta: 1, gamma: 2, delta: 1 },
  conditions: ['L'],
  equations: { r: '(1 + 0.8*L)*r - beta*r*c', c: '-gamma*c + delta*r*c' },
  initial: { r: '1.5 + L', c: '1 - 0.4*L' },
});
const grid = createDataset({
  channels: ['r', 'c'],
  conditions: ['L'],
  trajectories: latitudes.map((L, i) => {
    const times = [0, ...Array.from({ length: 19 }, () => 0.1 + rng.nextFloat() * 4.9).sort((a, b) => a - b)];
    return { id: `L${i}`, times, values: { r: times.map(() => 1), c: times.map(() => 1) }, conditions: { L } };
  }),
});
const trueParams = truth.initParams();
const exact = truth.predictValues(trueParams, grid);
disposeTree(trueParams);
const all = createDataset({
  channels: ['r', 'c'],
  conditions: ['L'],
  trajectories: exact.map((tr, i) => ({
    id: tr.id,
    times: tr.times,
    values: Object.fromEntries(
      ['r', 'c'].map((ch) => [
        ch,
        Array.from(tr.channels[ch] as Float64Array, (v) => v * (1 + 0.02 * rng.nextNormal())),
      ]),
    ),
    conditions: { L: latitudes[i] as number },
  })),
});
const { train, test } = splitDataset(all, { test: 4, seed: 0 });

const model = modelFromEquations(
  {
    states: ['r', 'c'],
    parameters: { alpha: 1, beta: 1, gamma: 1, delta: 1, r0: 1, c0: 1 },
    conditions: ['L'],
    equations: { r: '(alpha + A(L))*r - beta*r*c', c: '-gamma*c + delta*r*c' },
    initial: { r: 'r0 + G(L)', c: 'c0 + H(L)' },
    networks: { A: { finalInitScale: 0.1 }, G: { finalInitScale: 0.1 }, H: { finalInitScale: 0.1 } },
  },
  { seed: 0 },
);
const start = model.initParams();
const steps = quick ? [40, 40, 80] : [150, 150, 500];
const result = await fit({
  params: start,
  loss: (p: EquationsParams, _batch, ctx) => model.loss(p, train, { length: ctx.length }),
  optimizer: adam({ learningRate: 3e-2 }),
  curriculum: { lengthStrategy: [0.3, 0.6, 1], stepsStrategy: steps },
});
const rms = (ds: typeof train): number => Math.sqrt(model.losses(result.params, ds).total);
const trainRmse = rms(train);
const testRmse = rms(test);
console.log(
  JSON.stringify({
    example: 'latitude',
    trainLatitudes: train.trajectories.map((t) => Number(t.conditions.L?.toFixed(3))),
    heldOutLatitudes: test.trajectories.map((t) => Number(t.conditions.L?.toFixed(3))),
    steps: result.steps,
    trainRmse,
    testRmse,
    ratio: testRmse / trainRmse,
    pass: testRmse <= 3 * trainRmse,
  }),
);
disposeTree([start, result.params]);

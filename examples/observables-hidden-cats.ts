// @odekit/observables, example 2: rabbits and worms observed, cats hidden.
//
// Rabbits r and cats c follow Lotka–Volterra; the cats are never observed. What is observed is
// the rabbits and the worms, whose amount is a function of the state (k r², the rabbits'
// output). The cats' equation and their starting number are unknown (γ, δ and c(0) are
// fitted from wrong starting guesses, as are α and k); the rabbits' predation term r c is
// known, which fixes the cats' scale. Fitted from rabbit and worm data only, the hidden cat
// trajectory comes back within 5 % relative RMS.
//
// Run from the repository root:
//   npx tsx --conditions=@odekit/source examples/observables-hidden-cats.ts [--quick]
import { disposeTree, silenceTfjs, useBackend } from '@odekit/core';
import { createDataset, type EquationsParams, modelFromEquations } from '@odekit/observables';
import { lbfgs } from '@odekit/train';
import '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';

silenceTfjs();
await useBackend('cpu');
const quick = process.argv.includes('--quick');

const spec = {
  states: ['r', 'c'],
  parameters: { alpha: 1, gamma: 2, delta: 0.6, k: 0.5 },
  equations: { r: 'alpha*r - r*c', c: '-gamma*c + delta*r*c' },
  initial: { r: 'data', c: { fit: 0.5 } },
  observations: { r: 'r', worms: 'k*r^2' },
};
const truth = { alpha: 1.5, gamma: 3, delta: 1, k: 0.3, c0: 1 };

// Synthetic data from the true model: rabbits and worms at 40 times on [0, 6].
const times = Array.from({ length: 40 }, (_, i) => (6 * i) / 39);
const trueModel = modelFromEquations({
  ...spec,
  parameters: { alpha: truth.alpha, gamma: truth.gamma, delta: truth.delta, k: truth.k },
  initial: { r: 2, c: truth.c0 },
});
const grid = createDataset({
  channels: ['r'],
  trajectories: [{ id: 'field', times, values: { r: times.map(() => 1) } }],
});
const trueParams = trueModel.initParams();
const [exact] = trueModel.predictValues(trueParams, grid);
disposeTree(trueParams);
if (exact === undefined) throw new Error('no prediction');
const data = createDataset({
  channels: ['r', 'worms'],
  trajectories: [
    {
      id: 'field',
      times,
      values: { r: exact.channels.r as Float64Array, worms: exact.channels.worms as Float64Array },
    },
  ],
});

const model = modelFromEquations(spec);
console.error(`hidden states: ${model.hidden.join(', ')}; observed channels: ${model.channels.join(', ')}`);
const start = model.initParams();
const result = lbfgs({
  params: { physics: start.physics, initial: start.initial },
  loss: (p) => model.loss({ ...p, networks: {} } as EquationsParams, data, { normalize: true }) as tf.Tensor,
  maxIterations: quick ? 80 : 300,
  gradTolerance: 1e-8,
});
const fitted = { ...result.params, networks: {} } as EquationsParams;
const [pred] = model.predictValues(fitted, data);
const cats = pred?.states.c as Float64Array;
const trueCats = exact.states.c as Float64Array;
let se = 0;
let ss = 0;
trueCats.forEach((v, i) => {
  se += ((cats[i] as number) - v) ** 2;
  ss += v * v;
});
const catRelRms = Math.sqrt(se / ss);
const read = (t: tf.Tensor | undefined) => t?.dataSync()[0] as number;
console.log(
  JSON.stringify({
    example: 'hidden-cats',
    found: {
      alpha: read(result.params.physics.alpha),
      gamma: read(result.params.physics.gamma),
      delta: read(result.params.physics.delta),
      k: read(result.params.physics.k),
      c0: read(result.params.initial.c),
    },
    catRelRms,
    iterations: result.iterations,
    loss: result.value,
    pass: catRelRms <= 0.05,
  }),
);
disposeTree([start, result.params]);

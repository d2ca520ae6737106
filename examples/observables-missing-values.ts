// @odekit/observables, example 3: 30 % of the values missing on irregular time grids.
//
// Four Lotka–Volterra trajectories (rabbits r, cats c), each observed at 25 irregular times on
// [0, 8], with 30 % of the values after t = 0 missing (empty CSV cells). The model is written
// as equations; L-BFGS fits α, β, γ, δ from 1, 1, 1, 1 through one batched solve per
// evaluation, on growing prefixes of the series (continuum learning). The physical parameters
// come back within 2 % (the data are noise-free).
//
// Run from the repository root:
//   npx tsx --conditions=@odekit/source examples/observables-missing-values.ts [--quick]
// It prints one JSON line with the recovered parameters and the largest relative error.
import { createRng, disposeTree, silenceTfjs, useBackend } from '@odekit/core';
import { createDataset, datasetFromCsv, datasetToCsv, modelFromEquations } from '@odekit/observables';
import { lbfgs } from '@odekit/train';
import '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';

silenceTfjs();
await useBackend('cpu');
const quick = process.argv.includes('--quick');

const truth = { alpha: 1.5, beta: 1, gamma: 3, delta: 1 };
const spec = {
  states: ['r', 'c'],
  parameters: { alpha: 1, beta: 1, gamma: 1, delta: 1 },
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c' },
};

// Synthetic data: the true model at irregular times, then 30 % of the later values removed.
const rng = createRng(3);
const starts = [
  [2, 1],
  [1, 0.5],
  [3, 1.5],
  [1.5, 2],
];
const grids = starts.map(() => [0, ...Array.from({ length: 24 }, () => rng.nextFloat() * 8).sort((a, b) => a - b)]);
const trueModel = modelFromEquations({ ...spec, parameters: truth });
const trueParams = trueModel.initParams();
const exact = trueModel.predictValues(
  trueParams,
  createDataset({
    channels: ['r', 'c'],
    trajectories: grids.map((times, i) => ({
      id: `t${i}`,
      times,
      values: {
        r: times.map((_, k) => (k === 0 ? starts[i]?.[0] : 1)),
        c: times.map((_, k) => (k === 0 ? starts[i]?.[1] : 1)),
      },
    })),
  }),
);
disposeTree(trueParams);
let missing = 0;
let later = 0;
const full = createDataset({
  channels: ['r', 'c'],
  trajectories: exact.map((tr) => ({
    id: tr.id,
    times: tr.times,
    values: Object.fromEntries(
      ['r', 'c'].map((ch) => [
        ch,
        Array.from(tr.channels[ch] as Float64Array, (v, k) => {
          if (k === 0) return v;
          later++;
          if (rng.nextFloat() >= 0.3) return v;
          missing++;
          return Number.NaN;
        }),
      ]),
    ),
  })),
});
// Through CSV and back, as a user's file would come in (missing values are empty cells).
const data = datasetFromCsv(datasetToCsv(full));

const model = modelFromEquations(spec);
const start = model.initParams();
const empty = { networks: {}, initial: {} };
// Continuum learning: fit on growing prefixes of every trajectory (a fit over the whole span
// from a poor start lands in a local minimum), each stage starting where the last one ended.
let physics = start.physics;
let result: ReturnType<typeof lbfgs<typeof physics>> | undefined;
for (const length of [0.15, 0.3, 0.6, 1]) {
  result = lbfgs({
    params: physics,
    loss: (p) => model.loss({ physics: p, ...empty } as never, data, { length }) as tf.Tensor,
    maxIterations: quick ? 40 : 100,
    gradTolerance: 1e-7,
  });
  if (physics !== start.physics) disposeTree(physics);
  physics = result.params;
}
if (result === undefined) throw new Error('no fit');
const found = Object.fromEntries(
  Object.entries(result.params).map(([k, v]) => [k, (v as tf.Tensor).dataSync()[0] as number]),
) as Record<keyof typeof truth, number>;
const relErrors = (Object.keys(truth) as (keyof typeof truth)[]).map((k) => Math.abs(found[k] / truth[k] - 1));
const maxRelError = Math.max(...relErrors);
console.log(
  JSON.stringify({
    example: 'missing-values',
    missingFraction: Number((missing / later).toFixed(3)),
    found,
    maxRelError,
    iterations: result.iterations,
    loss: result.value,
    pass: maxRelError <= 0.02,
  }),
);
disposeTree([start, physics]);

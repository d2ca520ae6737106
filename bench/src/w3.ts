// W3: Diffrax's neural-ODE example exactly as workloads.json defines it — 256 spirals of
// dy/dt = [x1, −x0], x = y/(1+y), y0 ~ U(−0.6, 1) from Mulberry32(5678); an MLP 2→64→64→2
// (softplus, U(±1/√fan_in) from Mulberry32(5679)); tsit5 with PID 1e-3/1e-6; Adam 3e-3; batches
// of 32 shuffled by Mulberry32(5680); 500 steps on the first 10 % of each series, then 500 on
// all of it. Prints one JSON line per phase and a summary (total time, final MSE on all 256).
import { disposeTree, mulberry32 } from '@odekit/core';
import { mlp } from '@odekit/nn';
import { diffeqsolve, pidController, recursiveCheckpointAdjoint, saveAt, tsit5 } from '@odekit/solvers';
import { adam, fit, mse, prefixLength } from '@odekit/train';
import { emit, flag, setup, tf } from './common.js';

const backend = await setup();
const scale = Number(flag('scale', '1')); // --scale 0.1 runs 10 % of the steps (smoke test)
const datasetSize = 256;
const batchSize = 32;
const nT = 100;
const ts = Array.from({ length: nT }, (_, i) => (10 * i) / (nT - 1));
const lengthStrategy = [0.1, 1];
const stepsStrategy = [500, 500].map((s) => Math.max(1, Math.round(s * scale)));
const tol = pidController({ rtol: 1e-3, atol: 1e-6 });

// Data: the true spirals from 256 initial conditions.
const u = mulberry32(5678);
const y0All = tf.tensor2d(
  Array.from({ length: datasetSize }, () => [-0.6 + 1.6 * u(), -0.6 + 1.6 * u()]),
  [datasetSize, 2],
);
const truth = (_t: number, y: tf.Tensor) =>
  tf.tidy(() => {
    const x = tf.div(y, tf.add(y, 1));
    return tf.matMul(x, tf.tensor2d([0, -1, 1, 0], [2, 2])); // [x1, −x0]
  });
const ys = tf.tidy(() => {
  const sol = diffeqsolve({
    term: truth,
    solver: tsit5(),
    t0: 0,
    t1: 10,
    dt0: 0.1,
    y0: y0All,
    saveat: saveAt({ ts }),
    stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
    maxSteps: 100000,
  });
  const out = tf.transpose(sol.ys as tf.Tensor, [1, 0, 2]); // [256, 100, 2]
  sol.dispose();
  return out;
});

// Model: Equinox's MLP, initialised layer by layer from Mulberry32(5679).
const net = mlp({ inSize: 2, outSize: 2, widthSize: 64, depth: 2, activation: 'softplus', random: mulberry32(5679) });
type Params = typeof net.params;
// The MLP's own vector field: on cpu and wasm the solver evaluates it and takes its VJPs by
// direct calls into @odekit/nn's fused WebAssembly kernels (no tensors, no tape).
// `--field apply` uses `(t, y, p) => net.apply(p, y)` instead (the fused op through tfjs).
const field =
  flag('field', 'vector-field') === 'apply'
    ? (_t: number, y: tf.Tensor, p: Params) => net.apply(p, y)
    : net.vectorField;
// With a host implementation the adjoint takes per-stage VJPs anyway; for `--field apply`, `--batch-stages
// true` batches them through tensors, measured slower here (its D + 2 = 4 stacked copies of every
// stage point cost more than the per-op overhead it saves), so off by default.
const adjoint = recursiveCheckpointAdjoint({
  batchStages: flag('batch-stages', 'false') === 'true',
});
const predict = (p: Params, y0: tf.Tensor, n: number) => {
  const sol = diffeqsolve({
    term: field,
    solver: tsit5(),
    t0: 0,
    t1: ts[n - 1] as number,
    dt0: ts[1] as number,
    y0,
    args: p,
    saveat: saveAt({ ts: ts.slice(0, n) }),
    stepsizeController: tol,
    maxSteps: 4096,
    adjoint,
  });
  return tf.transpose(sol.ys as tf.Tensor, [1, 0, 2]); // [batch, n, 2]
};

const firstEnd: number[] = []; // when each stage's first step ended
const lastEnd: number[] = []; // when each stage's last step ended
const started = performance.now();
const result = await fit({
  params: net.params,
  data: { ys },
  batchSize,
  seed: 5680,
  optimizer: adam({ learningRate: 3e-3 }),
  curriculum: { lengthStrategy, stepsStrategy },
  loss: (p, batch, ctx) => {
    const n = prefixLength(nT, ctx.length);
    const target = tf.slice(batch.ys, [0, 0, 0], [-1, n, -1]);
    const y0 = tf.reshape(tf.slice(batch.ys, [0, 0, 0], [-1, 1, -1]), [-1, 2]);
    return mse(predict(p, y0, n), target);
  },
  onStep: ({ stage, stageStep }) => {
    const now = performance.now();
    if (stageStep === 0) firstEnd[stage] = now;
    lastEnd[stage] = now;
  },
});
const totalSeconds = (performance.now() - started) / 1000;
lengthStrategy.forEach((length, i) => {
  const steps = stepsStrategy[i] as number;
  const ms = steps > 1 ? ((lastEnd[i] as number) - (firstEnd[i] as number)) / (steps - 1) : Number.NaN;
  emit({ workload: 'W3', case: `length-${length}`, backend, msPerStep: Number(ms.toFixed(2)) });
});
const finalMse = tf.tidy(() => mse(predict(result.params, y0All, nT), ys).dataSync()[0] as number);
emit({
  workload: 'W3',
  case: 'total',
  backend,
  totalSeconds: Number(totalSeconds.toFixed(2)),
  finalMse: Number(finalMse.toPrecision(4)),
  ...(scale !== 1 ? { scale } : {}),
  stopReason: result.stopReason,
});
disposeTree([result.params, net.params, ys, y0All]);

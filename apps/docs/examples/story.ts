// The odekit story, run by the docs build (apps/docs/scripts/generate.ts): each `#region` is one
// step of the tutorial page, its console output is shown under it, and the `figure(...)` calls
// (outside the regions) hand the plotted numbers to the build, which renders them with vega-lite.
import { readFileSync } from 'node:fs';
// #region setup
import { compileField, disposeTree, silenceTfjs, useBackend } from '@odekit/core';
import { mlp } from '@odekit/nn';
import { diffeqsolve, dopri5, pidController, saveAt } from '@odekit/solvers';
import { compileExpression, type Expression, roundConstants, simplify, symbolicRegression } from '@odekit/symbolic';
import { adam, fit, lbfgs, mse, prefixLength } from '@odekit/train';
import * as tf from '@tensorflow/tfjs';
import { figure, step } from './story-io.js';

silenceTfjs();
await useBackend('cpu');

// 100 noisy-free observations of rabbits r and cats c (odekit's benchmark workload W2).
const W2 = JSON.parse(
  readFileSync(new URL('../../../packages/testing/fixtures/workloads.json', import.meta.url), 'utf8'),
).W2 as { ts: number[]; y0: number[]; data: number[][] };
const ts = W2.ts;
const data = tf.tensor2d(W2.data); // [100, 2]
const y0 = tf.tensor1d(W2.y0); // [2]
console.log(`${ts.length} times from ${ts[0]} to ${ts.at(-1)}; r(0) = ${W2.y0[0]}, c(0) = ${W2.y0[1]}`);
// #endregion setup
step('setup');
figure('data', { ts, data: W2.data });

// #region mechanistic
type Physics = { alpha: tf.Tensor; beta: tf.Tensor; gamma: tf.Tensor; delta: tf.Tensor };

// dr/dt = α r − β r c,  dc/dt = −γ c + δ r c. Everything trainable comes in through `args`.
const lotkaVolterra = compileField((_t: number, y: tf.Tensor, p: Physics) => {
  const [r, c] = tf.unstack(y, -1) as [tf.Tensor, tf.Tensor];
  const dr = tf.sub(tf.mul(p.alpha, r), tf.mul(tf.mul(p.beta, r), c));
  const dc = tf.sub(tf.mul(tf.mul(p.delta, r), c), tf.mul(p.gamma, c));
  return tf.stack([dr, dc], -1);
});

/** Solves the model with parameters `args` over the first `length` fraction of the series. */
function solve<A>(field: (t: number, y: tf.Tensor, a: A) => tf.Tensor, args: A, length = 1): tf.Tensor {
  const n = prefixLength(ts.length, length);
  const sol = diffeqsolve({
    term: field,
    solver: dopri5(),
    t0: 0,
    t1: ts[n - 1] as number,
    y0,
    args,
    saveat: saveAt({ ts: ts.slice(0, n) }),
    stepsizeController: pidController({ rtol: 1e-3, atol: 1e-6 }),
  });
  return sol.ys as tf.Tensor; // [n, 2]
}
const lossOf = <A>(field: (t: number, y: tf.Tensor, a: A) => tf.Tensor, args: A, length = 1) =>
  mse(solve(field, args, length), tf.slice(data, [0, 0], [prefixLength(ts.length, length), 2]));
const show = (p: Physics) =>
  Object.entries(p)
    .map(([k, v]) => `${k} = ${(v.dataSync()[0] as number).toFixed(3)}`)
    .join(', ');

// Start from α = β = γ = δ = 1 and fit on growing prefixes of the series (continuum learning):
// the whole series at once would start in a poor local minimum.
let physics: Physics = { alpha: tf.scalar(1), beta: tf.scalar(1), gamma: tf.scalar(1), delta: tf.scalar(1) };
for (const length of [0.2, 0.5, 1]) {
  const res = lbfgs({ params: physics, loss: (p) => lossOf(lotkaVolterra, p, length), maxIterations: 40 });
  disposeTree(physics);
  physics = res.params;
  console.log(`first ${length * 100} %: loss ${res.value.toExponential(2)} (${res.iterations} iterations)`);
}
console.log(show(physics));
// #endregion mechanistic
step('mechanistic');
figure('mechanistic', { ts, data: W2.data, model: tf.tidy(() => solve(lotkaVolterra, physics)).arraySync() });

// #region hybrid
// The cats' equation is doubted: dc/dt = −γ c + δ r (c + NN(r, c)).
// A small network whose last layer starts ×0.01 smaller, so the correction starts near zero
// while the hidden layer keeps its normal scale.
const net = mlp({ inSize: 2, outSize: 1, widthSize: 8, depth: 1, activation: 'tanh', finalInitScale: 0.01, seed: 0 });
type Hybrid = { physics: Physics; network: typeof net.params };

const hybrid = compileField((_t: number, y: tf.Tensor, p: Hybrid) => {
  const { alpha, beta, gamma, delta } = p.physics;
  const [r, c] = tf.unstack(y, -1) as [tf.Tensor, tf.Tensor];
  const nn = tf.squeeze(net.apply(p.network, y), [-1]);
  const dr = tf.sub(tf.mul(alpha, r), tf.mul(tf.mul(beta, r), c));
  const dc = tf.sub(tf.mul(tf.mul(delta, r), tf.add(c, nn)), tf.mul(gamma, c));
  return tf.stack([dr, dc], -1);
});

// Physics first (done above), then frozen; the network learns on growing prefixes; at last
// everything trains together.
const trained = await fit({
  params: { physics, network: net.params } as Hybrid,
  loss: (p, _batch, ctx) => lossOf(hybrid, p, ctx.length),
  optimizer: adam({ learningRate: 2e-2 }),
  stages: [
    { name: 'network, first 50 %', train: 'network', length: 0.5, steps: 80 },
    { name: 'network, all', train: 'network', length: 1, steps: 120 },
    { name: 'everything', train: 'all', length: 1, steps: 150 },
  ],
});
for (const s of trained.stages) console.log(`${s.name}: loss ${s.finalLoss.toExponential(2)}`);
console.log(show(trained.params.physics));
// #endregion hybrid
step('hybrid');
figure('hybrid', { ts, data: W2.data, model: tf.tidy(() => solve(hybrid, trained.params)).arraySync() });

// #region symbolic
// Sample the trained network on the states the system visits and read it as an equation.
const states = tf.tidy(() => solve(hybrid, trained.params)); // [100, 2]
const nnValues = tf.tidy(() => tf.squeeze(net.apply(trained.params.network, states), [-1]));
const [r, c] = tf.unstack(states, -1).map((v) => Float64Array.from(v.dataSync()));
const search = await symbolicRegression({
  X: { r: r as Float64Array, c: c as Float64Array },
  y: Float64Array.from(nnValues.dataSync()),
  binaryOperators: ['+', '-', '*', '/'],
  maxSize: 12,
  iterations: 12,
  populations: 8,
  ncyclesPerIteration: 100,
  seed: 0,
});
const readable = (e: Expression) => simplify(roundConstants(e, 3)).toString(); // 3 decimals, tidied
for (const { complexity, loss, expr } of search.hallOfFame)
  console.log(`${String(complexity).padStart(2)}  ${loss.toExponential(2)}  ${readable(expr)}`);
console.log(`best: NN(r, c) ≈ ${readable(search.best.expr)}`);
// #endregion symbolic
step('symbolic');
figure('symbolic', {
  c: Array.from(c as Float64Array),
  network: Array.from(nnValues.dataSync()),
  expression: Array.from(search.best.expr.evaluate({ r: r as Float64Array, c: c as Float64Array })),
});

// #region refit
// Put the expression back into the ODE with its constants trainable and refit everything.
const found = compileExpression(search.best.expr, { trainableConstants: true });
type Discovered = { physics: Physics; constants: typeof found.params };
const discovered = compileField((_t: number, y: tf.Tensor, p: Discovered) => {
  const { alpha, beta, gamma, delta } = p.physics;
  const [r, c] = tf.unstack(y, -1) as [tf.Tensor, tf.Tensor];
  const term = found.apply(p.constants, { r, c });
  const dr = tf.sub(tf.mul(alpha, r), tf.mul(tf.mul(beta, r), c));
  const dc = tf.sub(tf.mul(tf.mul(delta, r), tf.add(c, term)), tf.mul(gamma, c));
  return tf.stack([dr, dc], -1);
});
const refit = lbfgs({
  params: { physics: trained.params.physics, constants: found.params } as Discovered,
  loss: (p) => lossOf(discovered, p),
  maxIterations: 60,
});
const p = refit.params.physics;
const num = (t: tf.Tensor) => (t.dataSync()[0] as number).toFixed(3);
console.log(`loss ${refit.value.toExponential(2)} after ${refit.iterations} L-BFGS iterations`);
console.log(`dr/dt = ${num(p.alpha)} r - ${num(p.beta)} r c`);
console.log(
  `dc/dt = -${num(p.gamma)} c + ${num(p.delta)} r (c + ${roundConstants(found.toExpression(refit.params.constants), 3)})`,
);
// #endregion refit
step('refit');
figure('refit', { ts, data: W2.data, model: tf.tidy(() => solve(discovered, refit.params)).arraySync() });
disposeTree([data, y0, physics, trained.params, states, nnValues, found.params, refit.params]);

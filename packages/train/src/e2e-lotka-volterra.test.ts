// End to end (needs @odekit/solvers): recover the Lotka–Volterra parameters by fitting through
// the ODE solver, with L-BFGS and continuum learning on growing prefixes of the series.
import { disposeTree } from '@odekit/core';
import { diffeqsolve, pidController, recursiveCheckpointAdjoint, saveAt, tsit5 } from '@odekit/solvers';
import { loadWorkloads } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lbfgs, mse, prefixLength } from './index.js';

const W1 = loadWorkloads().W1;

type Physics = { alpha: tf.Tensor; beta: tf.Tensor; gamma: tf.Tensor; delta: tf.Tensor };

/**
 * dr/dt = α r − β r c, dc/dt = −γ c + δ r c on `y = [..., 2]`; the parameters come in through
 * `args`. It ignores t and maps over leading axes, so the adjoint can batch its stages.
 */
const lotkaVolterra = (_t: number, y: tf.Tensor, p: Physics) =>
  tf.tidy(() => {
    const [r, c] = tf.split(tf.reshape(y, [-1, 2]), 2, 1) as [tf.Tensor, tf.Tensor];
    const rc = tf.mul(r, c);
    const dy = tf.concat(
      [tf.sub(tf.mul(p.alpha, r), tf.mul(p.beta, rc)), tf.sub(tf.mul(p.delta, rc), tf.mul(p.gamma, c))],
      1,
    );
    return tf.reshape(dy, y.shape);
  });

describe('end to end: Lotka–Volterra parameter recovery', () => {
  it('recovers α, β, γ, δ within 2 % from α = β = γ = δ = 1', () => {
    const data = tf.tensor2d(W1.reference_ys); // [100, 2], float64 reference with a=1.5, b=1, c=3, d=1
    const y0 = tf.tensor1d(W1.y0);
    const start: Physics = { alpha: tf.scalar(1), beta: tf.scalar(1), gamma: tf.scalar(1), delta: tf.scalar(1) };
    const before = tf.memory().numTensors;
    let current = start;
    for (const length of [0.2, 0.5, 1]) {
      const n = prefixLength(W1.ts.length, length);
      const target = data.slice(0, n);
      const res = lbfgs({
        params: current,
        loss: (p) => {
          const sol = diffeqsolve({
            term: lotkaVolterra,
            solver: tsit5(),
            t0: 0,
            t1: W1.ts[n - 1] as number,
            y0,
            args: p,
            saveat: saveAt({ ts: W1.ts.slice(0, n) }),
            stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }),
            adjoint: recursiveCheckpointAdjoint({ batchStages: true }),
          });
          return mse(sol.ys as tf.Tensor, target);
        },
        maxIterations: 60,
        gradTolerance: 1e-6,
      });
      target.dispose();
      if (current !== start) disposeTree(current);
      current = res.params;
      console.log(
        `LV fit, length ${length}: ${res.iterations} iterations, loss ${res.value.toExponential(3)} (${res.reason})`,
      );
    }
    const fitted = Object.fromEntries(Object.entries(current).map(([k, t]) => [k, t.dataSync()[0] as number]));
    console.log('LV fit:', JSON.stringify(fitted));
    const truth = { alpha: W1.a, beta: W1.b, gamma: W1.c, delta: W1.d };
    for (const [k, v] of Object.entries(truth)) {
      expect(Math.abs((fitted[k] as number) - v) / v, k).toBeLessThan(0.02);
    }
    disposeTree(current);
    expect(tf.memory().numTensors).toBe(before);
    disposeTree([data, y0, start]);
  });
});

// End to end (needs @odekit/solvers): the W2 hybrid Lotka–Volterra model
// dc/dt = −γ c + δ r (c + NN(r, c)) trained physics first, then the small-init network with the
// physics frozen under continuum learning, then everything together — from loss 3.1 to ≤ 1e-3.
import { disposeTree } from '@odekit/core';
import { diffeqsolve, dopri5, pidController, recursiveCheckpointAdjoint, saveAt } from '@odekit/solvers';
import { loadWorkloads } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, fit, mse, piecewiseConstant, prefixLength } from './index.js';

const W2 = loadWorkloads().W2;

type Params = {
  physics: { alpha: tf.Tensor; beta: tf.Tensor; gamma: tf.Tensor; delta: tf.Tensor };
  network: { w1: tf.Tensor; b1: tf.Tensor; w2: tf.Tensor; b2: tf.Tensor };
};

/**
 * dr = α r − β r c, dc = −γ c + δ r (c + NN(r, c)), NN = Linear(2→4) → tanh → Linear(4→1), on
 * `y = [..., 2]`: it ignores t and maps over leading axes, so the adjoint can batch its stages.
 */
const hybrid = (_t: number, y: tf.Tensor, p: Params) =>
  tf.tidy(() => {
    const { alpha, beta, gamma, delta } = p.physics;
    const y2 = tf.reshape(y, [-1, 2]);
    const [r, c] = tf.split(y2, 2, 1) as [tf.Tensor, tf.Tensor];
    const h = tf.tanh(
      tf.fused.matMul({ a: y2 as tf.Tensor2D, b: p.network.w1 as tf.Tensor2D, transposeB: true, bias: p.network.b1 }),
    );
    const nn = tf.fused.matMul({ a: h, b: p.network.w2 as tf.Tensor2D, transposeB: true, bias: p.network.b2 });
    const rc = tf.mul(r, c);
    const dr = tf.sub(tf.mul(alpha, r), tf.mul(beta, rc));
    const dc = tf.sub(tf.mul(delta, tf.add(rc, tf.mul(r, nn))), tf.mul(gamma, c));
    return tf.reshape(tf.concat([dr, dc], 1), y.shape);
  });

describe('end to end: W2 hybrid with physics first, frozen physics, continuum learning', () => {
  // CI-sized: 1,650 steps, 350 of them on 30–60 % of the series; the adjoint batches its
  // stages (`batchStages`), about 50 s on 2 busy cores.
  it('takes the loss from 3.1 to at most 1e-3', { timeout: 180_000 }, async () => {
    const started = performance.now();
    const data = tf.tensor2d(W2.data);
    const y0 = tf.tensor1d(W2.y0);
    const [alpha, beta, gamma, delta] = W2.init.mech as [number, number, number, number];
    const params: Params = {
      physics: { alpha: tf.scalar(alpha), beta: tf.scalar(beta), gamma: tf.scalar(gamma), delta: tf.scalar(delta) },
      network: {
        w1: tf.tensor2d(W2.init.W1),
        b1: tf.tensor1d(W2.init.b1),
        w2: tf.tensor2d(W2.init.W2),
        b2: tf.tensor1d(W2.init.b2),
      },
    };
    const lossAt = (p: Params, length: number, rtol = W2.rtol) => {
      const n = prefixLength(W2.ts.length, length);
      const sol = diffeqsolve({
        term: hybrid,
        solver: dopri5(),
        t0: 0,
        t1: W2.ts[n - 1] as number,
        y0,
        args: p,
        saveat: saveAt({ ts: W2.ts.slice(0, n) }),
        stepsizeController: pidController({ rtol, atol: W2.atol }),
        adjoint: recursiveCheckpointAdjoint({ batchStages: true }),
      });
      return mse(sol.ys as tf.Tensor, n === W2.ts.length ? data : tf.slice(data, [0, 0], [n, 2]));
    };
    const initial = tf.tidy(() => lossAt(params, 1).dataSync()[0] as number);
    expect(initial).toBeCloseTo(3.15, 1);
    const res = await fit({
      params,
      loss: (p, _batch, ctx) => lossAt(p, ctx.length),
      optimizer: adam({ learningRate: 1e-2 }),
      onStep: ({ step, loss }) => {
        if (step % 200 === 0) console.log(`step ${step}: ${loss.toExponential(3)}`);
      },
      stages: [
        { name: 'physics', train: 'physics', steps: 100, length: 0.3 },
        { name: 'network 0.3', train: 'network', steps: 150, length: 0.3 },
        { name: 'network 0.6', train: 'network', steps: 100, length: 0.6 },
        {
          name: 'all',
          train: 'all',
          steps: 1300,
          length: 1,
          optimizer: adam({ learningRate: piecewiseConstant({ initValue: 1e-2, boundariesAndScales: { 900: 0.2 } }) }),
        },
      ],
    });
    expect(res.stopReason).toBe('completed');
    const final = tf.tidy(() => lossAt(res.params, 1).dataSync()[0] as number);
    console.log(
      `W2 hybrid: loss ${initial.toFixed(3)} → ${res.stages.map((s) => `${s.name} ${s.finalLoss.toExponential(2)}`).join(', ')}; full series ${final.toExponential(2)}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(final).toBeLessThanOrEqual(1e-3);
    disposeTree([params, res.params, data, y0]);
  });
});

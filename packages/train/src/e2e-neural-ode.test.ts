import { disposeTree, hostImplementationOf, mulberry32, valueAndGrad } from '@odekit/core';
import { type MlpParams, mlp } from '@odekit/nn';
import { diffeqsolve, pidController, recursiveCheckpointAdjoint, saveAt, tsit5 } from '@odekit/solvers';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, fit, mse } from './index.js';

// A small version of Diffrax's neural-ODE example (W3): an MLP vector field on spirals.
const ts = Array.from({ length: 20 }, (_, i) => (2 * i) / 19);
const net = (fused: boolean) =>
  mlp({ inSize: 2, outSize: 2, widthSize: 16, depth: 2, activation: 'softplus', random: mulberry32(5679), fused });

function predict(field: (t: number, y: tf.Tensor, p: MlpParams) => tf.Tensor, p: MlpParams, y0: tf.Tensor) {
  const sol = diffeqsolve({
    term: field,
    solver: tsit5(),
    t0: 0,
    t1: 2,
    dt0: ts[1] as number,
    y0,
    args: p,
    saveat: saveAt({ ts }),
    stepsizeController: pidController({ rtol: 1e-3, atol: 1e-6 }),
    adjoint: recursiveCheckpointAdjoint(),
  });
  return tf.transpose(sol.ys as tf.Tensor, [1, 0, 2]);
}

const u = mulberry32(1);
const y0Values = Array.from({ length: 8 }, () => [-0.6 + 1.6 * u(), -0.6 + 1.6 * u()]);

describe("an MLP's own vector field (host implementation)", () => {
  it('carries a host implementation when fused, and none with fused: false', () => {
    const a = net(true);
    const b = net(false);
    expect(hostImplementationOf(a.vectorField)).toBeDefined();
    expect(hostImplementationOf(b.vectorField)).toBeUndefined();
    disposeTree([a.params, b.params]);
  });

  it('gives the loss and gradients of the tfjs-op MLP, and a later parameter set its own values', () => {
    const fast = net(true);
    const plain = net(false);
    const y0 = tf.tensor2d(y0Values);
    const target = tf.tidy(() => tf.mul(predict(plain.vectorField, plain.params, y0), 0.9));
    const loss = (field: typeof fast.vectorField) => (p: MlpParams) => mse(predict(field, p, y0), target);
    const a = valueAndGrad(loss(fast.vectorField))(fast.params);
    const b = valueAndGrad(loss(plain.vectorField))(fast.params);
    expect(a.value.arraySync()).toBeAllclose(b.value.arraySync(), { rtol: 1e-4 });
    expect(a.grads).toBeAllclose(b.grads, { rtol: 2e-3, atol: 1e-6 });
    // new weights (as after an optimiser step): no cached activations of the old ones are used
    const moved = tf.tidy(() => ({
      layers: fast.params.layers.map((l) => ({
        weight: tf.mul(l.weight, 1.1),
        bias: tf.add(l.bias as tf.Tensor, 0.05),
      })),
    })) as MlpParams;
    const c = valueAndGrad(loss(fast.vectorField))(moved);
    const d = valueAndGrad(loss(plain.vectorField))(moved);
    expect(c.value.arraySync()).toBeAllclose(d.value.arraySync(), { rtol: 1e-4 });
    expect(c.grads).toBeAllclose(d.grads, { rtol: 2e-3, atol: 1e-6 });
    expect(c.value.arraySync()).not.toBeAllclose(a.value.arraySync(), { rtol: 1e-3 });
    disposeTree([a, b, c, d, moved, fast.params, plain.params, y0, target] as never);
  });

  it('trains with fit and leaks no tensors', async () => {
    const fast = net(true);
    const y0 = tf.tensor2d(y0Values);
    const truth = (_t: number, y: tf.Tensor) =>
      tf.tidy(() => tf.matMul(tf.div(y, tf.add(y, 1)), tf.tensor2d([0, -1, 1, 0], [2, 2])));
    const ys = tf.tidy(() => {
      const sol = diffeqsolve({
        term: truth,
        solver: tsit5(),
        t0: 0,
        t1: 2,
        y0,
        saveat: saveAt({ ts }),
        stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
      });
      return tf.transpose(sol.ys as tf.Tensor, [1, 0, 2]);
    });
    await expectNoLeak(async () => {
      const result = await fit({
        params: fast.params,
        data: { ys },
        batchSize: 8,
        seed: 0,
        steps: 30,
        optimizer: adam({ learningRate: 1e-2 }),
        loss: (p, batch) => {
          const start = tf.reshape(tf.slice(batch.ys, [0, 0, 0], [-1, 1, -1]), [-1, 2]);
          return mse(predict(fast.vectorField, p, start), batch.ys);
        },
      });
      const first = result.history[0] as number;
      const last = result.history[result.history.length - 1] as number;
      expect(last).toBeLessThan(0.5 * first);
      disposeTree(result.params);
    });
    disposeTree([fast.params, y0, ys]);
  });
});

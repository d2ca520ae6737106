import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { constantStepSize, pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { tsit5 } from './runge-kutta/solvers.js';

// A field with a default for its args: it must see `undefined` (not null) when no args are given.
const field = (_t: number, y: tf.Tensor, args: { k: number } = { k: 0.5 }) => tf.mul(-args.k, y);

describe('a solve without args passes undefined to the field under every adjoint', () => {
  const adjoints: [string, () => Adjoint][] = [
    ['direct', directAdjoint],
    ['recursive checkpoint', () => recursiveCheckpointAdjoint()],
    ['recursive checkpoint, batchStages', () => recursiveCheckpointAdjoint({ batchStages: true })],
    ['backsolve', () => backsolveAdjoint()],
  ];
  for (const [label, adjoint] of adjoints) {
    it(label, () => {
      const y0 = tf.tensor1d([1, 2]);
      const seen = new Set<unknown>();
      const { value, grads } = valueAndGrad((p: { y0: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: (t: number, y: tf.Tensor, args?: { k: number }) => {
            seen.add(args);
            return field(t, y, args);
          },
          solver: tsit5(),
          t0: 0,
          t1: 1,
          dt0: 0.1,
          y0: p.y0,
          adjoint: adjoint(),
        });
        return tf.sum(sol.ys as tf.Tensor);
      })({ y0 });
      expect([...seen]).toEqual([undefined]);
      expect(value.dataSync()[0]).toBeCloseTo(3 * Math.exp(-0.5), 5);
      expect(grads.y0).toBeAllclose([Math.exp(-0.5), Math.exp(-0.5)], { rtol: 1e-5 });
      disposeTree([value, grads, y0]);
    });
  }
});

describe('int32 tensors in args are constants, not a crash, under every adjoint', () => {
  // y′ = −k·y[..., perm] with an int32 permutation in args (gather along the last axis maps
  // over the batch axis, so batchStages applies too)
  const swap = (_t: number, y: tf.Tensor, args: { k: tf.Tensor; perm: tf.Tensor }) =>
    tf.mul(tf.neg(args.k), tf.gather(y, args.perm, y.rank - 1));
  const run = (adjoint: Adjoint) => {
    const params = {
      k: tf.scalar(0.5),
      y0: tf.tensor2d([
        [1, 2],
        [0.5, -1],
      ]),
    };
    const perm = tf.tensor1d([1, 0], 'int32');
    const { value, grads } = valueAndGrad((p: typeof params) => {
      const sol = diffeqsolve({
        term: swap,
        solver: tsit5(),
        t0: 0,
        t1: 1,
        dt0: 0.1,
        y0: p.y0,
        args: { k: p.k, perm },
        adjoint,
      });
      return tf.sum(tf.square(sol.ys as tf.Tensor));
    })(params);
    const out = {
      value: value.dataSync()[0] as number,
      k: grads.k.dataSync()[0] as number,
      y0: Array.from(grads.y0.dataSync()),
    };
    disposeTree([value, grads, params, perm]);
    return out;
  };
  const want = run(directAdjoint());
  const adjoints: [string, () => Adjoint][] = [
    ['recursive checkpoint', () => recursiveCheckpointAdjoint()],
    ['recursive checkpoint, batchStages', () => recursiveCheckpointAdjoint({ batchStages: true })],
    ['backsolve', () => backsolveAdjoint()],
  ];
  for (const [label, adjoint] of adjoints) {
    it(label, () => {
      const got = run(adjoint());
      expect(Math.abs(got.value - want.value)).toBeLessThanOrEqual(1e-5 * Math.abs(want.value));
      expect(Math.abs(got.k - want.k)).toBeLessThanOrEqual(1e-4 * Math.abs(want.k));
      expect(got.y0).toBeAllclose(want.y0, { rtol: 1e-4, atol: 1e-6 });
    });
  }
});

describe('backsolveAdjoint with constant backward steps needs dt0', () => {
  it('names dt0 and the controller instead of failing with dt_min_reached', () => {
    const k = tf.scalar(0.5);
    const y0 = tf.tensor1d([1, 2]);
    expect(() =>
      valueAndGrad((p: { k: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y),
          solver: tsit5(),
          t0: 0,
          t1: 1,
          y0,
          args: p,
          stepsizeController: pidController(),
          adjoint: backsolveAdjoint({ stepsizeController: constantStepSize() }),
        });
        return tf.sum(sol.ys as tf.Tensor);
      })({ k }),
    ).toThrow(/backsolveAdjoint: .*'dt0'/);
    disposeTree([k, y0]);
  });
});

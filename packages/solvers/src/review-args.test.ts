import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { diffeqsolve } from './diffeqsolve.js';
import { tsit5 } from './runge-kutta/solvers.js';

// A field with a default for its args: it must see `undefined` (not null) when no args are given.
const field = (_t: number, y: tf.Tensor, args: { k: number } = { k: 0.5 }) => tf.mul(-args.k, y);

describe('review: a solve without args passes undefined to the field under every adjoint', () => {
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

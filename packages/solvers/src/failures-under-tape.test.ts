import { valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { diffeqsolve } from './diffeqsolve.js';
import { tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import { SolveError } from './solution.js';

const decay = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y);

describe('a solve that fails under a gradient tape throws a SolveError with its partial solution', () => {
  const adjoints: [string, () => Adjoint][] = [
    ['direct', directAdjoint],
    ['recursive checkpoint', () => recursiveCheckpointAdjoint()],
    ['recursive checkpoint, checkpoints: 1', () => recursiveCheckpointAdjoint({ checkpoints: 1 })],
    ['backsolve', () => backsolveAdjoint()],
  ];
  for (const [label, adjoint] of adjoints) {
    it(label, async () => {
      await expectNoLeak(() => {
        const params = { k: tf.scalar(0.7), y0: tf.tensor1d([1, 2]) };
        let caught: unknown;
        try {
          valueAndGrad((p: typeof params) => {
            const sol = diffeqsolve({
              term: decay,
              solver: tsit5(),
              t0: 0,
              t1: 2,
              dt0: 0.1,
              y0: p.y0,
              args: { k: p.k },
              saveat: saveAt({ steps: true, ts: [0.05, 0.25, 1.5] }),
              maxSteps: 3,
              adjoint: adjoint(),
            });
            return tf.sum(sol.ys as tf.Tensor);
          })(params);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(SolveError);
        const err = caught as SolveError;
        expect(err.result).toBe('max_steps_reached');
        expect(err.solution.ts).toHaveLength(5);
        expect(err.stats.numAcceptedSteps).toBe(3);
        err.solution.dispose();
        tf.dispose([params.k, params.y0]);
      });
    });
  }
});

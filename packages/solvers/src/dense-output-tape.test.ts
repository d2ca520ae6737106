import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { diffeqsolve } from './diffeqsolve.js';
import { tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { Solution } from './solution.js';

const decay = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y);

/** d/dk of y(0.5) for y′ = −k y, y(0) = 1, through sol.evaluate(0.5). */
function viaEvaluate(adjoint: Adjoint) {
  const k = tf.scalar(0.7);
  let sol: Solution | undefined;
  try {
    const { value, grads } = valueAndGrad((p: { k: tf.Tensor }) => {
      sol = diffeqsolve({
        term: decay,
        solver: tsit5(),
        t0: 0,
        t1: 1,
        dt0: 0.05,
        y0: tf.tensor1d([1]),
        args: p,
        saveat: saveAt({ dense: true }),
        adjoint,
      });
      return tf.sum(sol.evaluate(0.5) as tf.Tensor);
    })({ k });
    const dk = grads.k.dataSync()[0] as number;
    disposeTree([value, grads]);
    return dk;
  } finally {
    sol?.dispose();
    k.dispose();
  }
}

describe('sol.evaluate under a gradient tape', () => {
  it('is differentiable with directAdjoint', () => {
    expect(viaEvaluate(directAdjoint())).toBeCloseTo(-0.5 * Math.exp(-0.35), 5);
  });
  for (const [label, adjoint] of [
    ['recursiveCheckpointAdjoint', () => recursiveCheckpointAdjoint()],
    ['backsolveAdjoint', () => backsolveAdjoint()],
  ] as const) {
    it(`throws with ${label} (its dense output is off the tape: the gradient would silently be 0)`, async () => {
      await expectNoLeak(() => {
        expect(() => viaEvaluate(adjoint())).toThrow(/Solution.evaluate: under a gradient tape .* saveAt\(\{ ts \}\)/);
      });
    });
  }
  it('still evaluates outside the tape after a checkpointed solve', () => {
    const k = tf.scalar(0.7);
    const sol = diffeqsolve({
      term: decay,
      solver: tsit5(),
      t0: 0,
      t1: 1,
      dt0: 0.05,
      y0: tf.tensor1d([1]),
      args: { k },
      saveat: saveAt({ dense: true }),
      adjoint: recursiveCheckpointAdjoint(),
    });
    const y = sol.evaluate(0.5) as tf.Tensor;
    expect(y.dataSync()[0]).toBeCloseTo(Math.exp(-0.35), 5);
    disposeTree([y, k]);
    sol.dispose();
  });
});

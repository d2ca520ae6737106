import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { bosh3, dopri8, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';

// A time-dependent field with a discontinuity at |t| = 0.4 (declared in jumpTs), a stepTs, and
// save points on the jump, inside steps and at every step end.
const field = (t: number, y: tf.Tensor, a: { k: tf.Tensor; w: tf.Tensor }) =>
  tf.tidy(() => tf.add(tf.mul(tf.neg(a.k), tf.sin(y)), tf.mul(a.w, Math.abs(t) > 0.4 ? Math.cos(3 * t) : -1)));

function grads(solver: () => AbstractSolver, adjoint: Adjoint, reverse: boolean): number[][] {
  const s = reverse ? -1 : 1;
  const p = { k: tf.scalar(0.7), w: tf.tensor1d([0.3, -0.2]), y0: tf.tensor1d([1, 2]) };
  const { value, grads: g } = valueAndGrad((q: typeof p) => {
    const sol = diffeqsolve({
      term: field,
      solver: solver(),
      t0: 0,
      t1: 1.5 * s,
      y0: q.y0,
      args: { k: q.k, w: q.w },
      stepsizeController: pidController({ rtol: 1e-5, atol: 1e-7, jumpTs: [0.4 * s], stepTs: [0.9 * s] }),
      saveat: saveAt({ ts: [0.4 * s, 0.6 * s, 1.5 * s], steps: true }),
      adjoint,
    });
    return tf.sum(tf.square(sol.ys as tf.Tensor));
  })(p);
  const out = [value, g.k, g.w, g.y0].map((x) => Array.from(x.dataSync()));
  disposeTree([value, g, p]);
  return out;
}

describe('checkpointed gradients across jumpTs/stepTs of a time-dependent field', () => {
  for (const solver of [tsit5, bosh3, dopri8]) {
    for (const reverse of [false, true]) {
      it(`${solver().name}${reverse ? ', reverse time' : ''}: equal to the direct tape's`, () => {
        const want = grads(solver, directAdjoint(), reverse);
        const got = grads(solver, recursiveCheckpointAdjoint({ checkpoints: 3 }), reverse);
        got.forEach((g, i) => {
          expect(g).toBeAllclose(want[i] as number[], { rtol: 1e-5, atol: 1e-6 });
        });
      });
    }
  }
});

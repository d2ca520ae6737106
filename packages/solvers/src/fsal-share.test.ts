import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from './adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { bosh3, dopri5, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';

// FSAL steps share one field evaluation (the last stage of step k is the first of step k + 1);
// the checkpointed backward pass takes one VJP for both. A time-dependent field with dense
// save points, so every stage (the last one through the dense output) has a cotangent. The
// tensor field's VJPs are counted, so the field runs as written (compile: false).
const ts = Array.from({ length: 41 }, (_, i) => (2 * i) / 40);

function run(solver: () => AbstractSolver, adjoint: Adjoint) {
  let calls = 0;
  const field = (t: number, y: tf.Tensor, a: { k: tf.Tensor; w: tf.Tensor }) => {
    calls++;
    return tf.tidy(() => tf.add(tf.mul(tf.neg(a.k), tf.sin(y)), tf.mul(a.w, Math.cos(3 * t))));
  };
  const p = { k: tf.scalar(0.7), w: tf.tensor1d([0.3, -0.2]), y0: tf.tensor2d([1, 2, -0.5, 0.25], [2, 2]) };
  let forward = 0;
  let accepted = 0;
  const { value, grads } = valueAndGrad((q: typeof p) => {
    const sol = diffeqsolve({
      term: field,
      solver: solver(),
      t0: 0,
      t1: 2,
      y0: q.y0,
      args: { k: q.k, w: q.w },
      stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }),
      saveat: saveAt({ ts }),
      adjoint,
      compile: false,
    });
    forward = calls;
    accepted = sol.stats.numAcceptedSteps;
    return tf.sum(tf.square(sol.ys as tf.Tensor));
  })(p);
  const out = [value, grads.k, grads.w, grads.y0].map((x) => Array.from(x.dataSync()));
  disposeTree([value, grads, p]);
  return { out, backwardCalls: calls - forward, accepted };
}

describe('checkpointed adjoint: FSAL steps share one VJP', () => {
  for (const solver of [tsit5, dopri5, bosh3]) {
    it(`${solver().name}: one VJP per stage evaluated in the forward pass, gradients equal to the direct tape's`, () => {
      const want = run(solver, directAdjoint()).out;
      const got = run(solver, recursiveCheckpointAdjoint({ batchStages: false }));
      got.out.forEach((g, i) => {
        expect(g).toBeAllclose(want[i] as number[], { rtol: 1e-5, atol: 1e-6 });
      });
      // s stages per step, but the first stage of every step after the first is shared
      const s = solver().tableau?.c.length as number;
      expect(got.accepted).toBeGreaterThan(4);
      // (a last stage with no cotangent, say a step whose only save point is its end, is skipped)
      expect(got.backwardCalls).toBeLessThanOrEqual((s - 1) * got.accepted + 1);
      expect(got.backwardCalls).toBeGreaterThanOrEqual((s - 1) * got.accepted - 1);
    });
  }
  it('thinned checkpoints (recomputed steps) share the same way', () => {
    const want = run(tsit5, directAdjoint()).out;
    const got = run(tsit5, recursiveCheckpointAdjoint({ checkpoints: 3 }));
    got.out.forEach((g, i) => {
      expect(g).toBeAllclose(want[i] as number[], { rtol: 1e-5, atol: 1e-6 });
    });
  });
});

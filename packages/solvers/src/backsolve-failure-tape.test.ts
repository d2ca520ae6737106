import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Adjoint } from './adjoint.js';
import { backsolveAdjoint } from './backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { diffeqsolve } from './diffeqsolve.js';
import { tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

const decay = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y);

/** A solve that stops at maxSteps = 3 (t = 0.3 of 2), differentiated under a tape. */
function partial(adjoint: Adjoint) {
  const params = { k: tf.scalar(0.7), y0: tf.tensor1d([1, 2]) };
  let ts: number[] = [];
  let rows: number[][] = [];
  let result = '';
  const { value, grads } = valueAndGrad((p: typeof params) => {
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
      throwOnFailure: false,
      adjoint,
    });
    ts = sol.ts;
    result = sol.result;
    rows = (sol.ys as tf.Tensor).arraySync() as number[][];
    return tf.sum(sol.ys as tf.Tensor);
  })(params);
  const out = {
    ts,
    rows,
    result,
    value: value.dataSync()[0] as number,
    dk: grads.k.dataSync()[0] as number,
    dy0: Array.from(grads.y0.dataSync()),
  };
  disposeTree([value, grads, params]);
  return out;
}

describe('backsolveAdjoint on a solve that fails (maxSteps) under a gradient tape', () => {
  it('keeps every saved row of the partial solution and differentiates it from where it stopped', () => {
    const want = partial(recursiveCheckpointAdjoint());
    const got = partial(backsolveAdjoint());
    expect(want.result).toBe('max_steps_reached');
    expect(got.result).toBe('max_steps_reached');
    // 0.05 (dense), 0.1, 0.2, 0.25 (dense), 0.3: the backsolve used to drop the last row
    expect(got.ts).toEqual(want.ts);
    expect(got.rows).toBeAllclose(want.rows, { rtol: 1e-6, atol: 1e-7 });
    expect(Math.abs(got.value - want.value)).toBeLessThanOrEqual(1e-5 * Math.abs(want.value));
    // the continuous adjoint approximates the discrete gradient (tsit5, h = 0.1: ~1e-6)
    expect(Math.abs(got.dk - want.dk)).toBeLessThanOrEqual(1e-4 * Math.abs(want.dk));
    expect(got.dy0).toBeAllclose(want.dy0, { rtol: 1e-4, atol: 0 });
  });

  it('leaks nothing for a partial solve', async () => {
    await expectNoLeak(() => {
      partial(backsolveAdjoint());
    });
  });

  it('without t1 in saveAt, returns exactly the requested rows and their gradient', () => {
    const run = (adjoint: Adjoint) => {
      const params = { k: tf.scalar(0.7) };
      const y0 = tf.tensor1d([1, 2]);
      let ts: number[] = [];
      const { value, grads } = valueAndGrad((p: typeof params) => {
        const sol = diffeqsolve({
          term: decay,
          solver: tsit5(),
          t0: 0,
          t1: 2,
          dt0: 0.1,
          y0,
          args: p,
          saveat: saveAt({ ts: [0.5, 1] }),
          adjoint,
        });
        ts = sol.ts;
        expect((sol.ys as tf.Tensor).shape).toEqual([2, 2]);
        return tf.sum(sol.ys as tf.Tensor);
      })(params);
      const out = { ts, value: value.dataSync()[0] as number, dk: grads.k.dataSync()[0] as number };
      disposeTree([value, grads, params, y0]);
      return out;
    };
    const want = run(recursiveCheckpointAdjoint());
    const got = run(backsolveAdjoint());
    expect(got.ts).toEqual([0.5, 1]);
    expect(Math.abs(got.value - want.value)).toBeLessThanOrEqual(1e-5 * want.value);
    expect(Math.abs(got.dk - want.dk)).toBeLessThanOrEqual(1e-4 * Math.abs(want.dk));
  });
});

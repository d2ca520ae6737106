import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { recursiveCheckpointAdjoint } from './checkpoint-adjoint.js';
import { diffeqsolve } from './diffeqsolve.js';
import { tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

// makeFieldVjp hands the tape the field's output leaf itself (no packing Reshape): it must not
// free an output the field does not own. The tensor field's VJPs are what is tested, so the field
// runs as written (compile: false).

describe('per-stage VJPs of a field that returns a tensor it does not own', () => {
  for (const [name, make] of [
    ['a leaf of args', (_c: tf.Tensor) => (_t: number, _y: tf.Tensor, a: { w: tf.Tensor }) => a.w],
    ['a captured constant', (c: tf.Tensor) => (_t: number, _y: tf.Tensor, _a: { w: tf.Tensor }) => c],
  ] as const) {
    it(`${name}: leaves it alive, leaks nothing and gets y(T) = y0 + T·f`, () => {
      const c = tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]);
      const p = { w: tf.tensor2d([1, 2, 3, 4], [2, 2]), y0: tf.tensor2d([0, 1, 2, 3], [2, 2]) };
      const before = tf.memory().numTensors;
      const { value, grads } = valueAndGrad((q: typeof p) => {
        const sol = diffeqsolve({
          term: make(c),
          solver: tsit5(),
          t0: 0,
          t1: 2,
          dt0: 0.5,
          y0: q.y0,
          args: { w: q.w },
          saveat: saveAt({ ts: [0.3, 1, 2] }),
          compile: false,
          adjoint: recursiveCheckpointAdjoint({ batchStages: false }),
        });
        return tf.sum(tf.square(sol.ys as tf.Tensor));
      })(p);
      // ys_i = y0 + t_i·f: d/dy0 = Σ 2 ys_i; d/dw = Σ 2 t_i ys_i when f = w, else 0
      const f = name === 'a leaf of args' ? p.w : c;
      const times = [0.3, 1, 2];
      const [gy0, gw] = tf.tidy(() => {
        const ys = times.map((t) => tf.add(p.y0, tf.mul(f, t)));
        return [
          tf.addN(ys.map((y) => tf.mul(y, 2))),
          f === p.w ? tf.addN(ys.map((y, i) => tf.mul(y, 2 * (times[i] as number)))) : tf.zerosLike(p.w),
        ];
      });
      expect(Array.from(grads.y0.dataSync())).toBeAllclose(Array.from((gy0 as tf.Tensor).dataSync()), { rtol: 1e-5 });
      expect(Array.from(grads.w.dataSync())).toBeAllclose(Array.from((gw as tf.Tensor).dataSync()), {
        rtol: 1e-5,
        atol: 1e-6,
      });
      disposeTree([value, grads, gy0 as tf.Tensor, gw as tf.Tensor]);
      expect(tf.memory().numTensors).toBe(before);
      expect(c.isDisposed || p.w.isDisposed).toBe(false);
      disposeTree([p, c]);
    });
  }
});

import { disposeTree, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { directAdjoint } from './adjoint.js';
import { constantStepSize, pidController, type StepSizeController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';

// y′ = −k y: y(t) = y0 e^{−k t}. L = Σ_i Σ_j w_j y_j(t_i), so
// dL/dk = −Σ_i t_i e^{−k t_i} Σ_j w_j y0_j and dL/dy0_j = w_j Σ_i e^{−k t_i}.
const decay = (_t: number, y: tf.Tensor, args: { k: tf.Tensor }) => tf.mul(tf.neg(args.k), y);

function analytic(k: number, y0: number[], w: number[], ts: number[]) {
  const wy = y0.reduce((s, v, j) => s + v * (w[j] as number), 0);
  return {
    value: ts.reduce((s, t) => s + Math.exp(-k * t) * wy, 0),
    dk: -ts.reduce((s, t) => s + t * Math.exp(-k * t), 0) * wy,
    dy0: w.map((wj) => wj * ts.reduce((s, t) => s + Math.exp(-k * t), 0)),
  };
}

describe('direct-adjoint gradients of y′ = −k y against the analytic gradient', () => {
  const cases: [string, () => AbstractSolver, () => StepSizeController, number | undefined, number][] = [
    ['tsit5, adaptive (rtol 1e-7)', tsit5, () => pidController({ rtol: 1e-7, atol: 1e-7 }), undefined, 2e-4],
    ['dopri5, adaptive, reverse time', dopri5, () => pidController({ rtol: 1e-7, atol: 1e-7 }), undefined, 2e-4],
    ['rk4, constant steps', rk4, constantStepSize, 0.05, 2e-4],
  ];
  for (const [label, make, controller, dt0, tol] of cases) {
    it(label, () => {
      const reverse = label.includes('reverse');
      const k = 0.8;
      const y0v = [1.5, -0.5, 2];
      const w = [1, 2, -1];
      const ts = [0.5, 1.25, 2];
      const wT = tf.tensor1d(w);
      const params = { k: tf.scalar(k), y0: tf.tensor1d(y0v) };
      const { value, grads } = valueAndGrad((p: { k: tf.Tensor; y0: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: decay,
          solver: make(),
          t0: 0,
          t1: reverse ? -2 : 2,
          ...(dt0 === undefined ? {} : { dt0 }),
          y0: p.y0,
          args: { k: p.k },
          saveat: saveAt({ ts: reverse ? ts.map((t) => -t) : ts }),
          stepsizeController: controller(),
          adjoint: directAdjoint(),
        });
        return tf.sum(tf.mul(sol.ys as tf.Tensor, wT));
      })(params);
      // reverse time: y(−t) = y0 e^{k t}, i.e. k → −k
      const want = analytic(reverse ? -k : k, y0v, w, ts);
      const dk = reverse ? -want.dk : want.dk;
      expect(Math.abs((value.dataSync()[0] as number) - want.value)).toBeLessThanOrEqual(tol * Math.abs(want.value));
      expect(Math.abs((grads.k.dataSync()[0] as number) - dk)).toBeLessThanOrEqual(tol * Math.abs(dk));
      expect(grads.y0).toBeAllclose(want.dy0, { rtol: tol, atol: 0 });
      disposeTree([value, grads.k, grads.y0, params.k, params.y0, wT]);
    });
  }

  it('gives each sample of a batch its own gradient (batched y0, shared k)', () => {
    const k = 0.5;
    const starts = [
      [1, 2],
      [-1, 0.5],
    ];
    const params = { k: tf.scalar(k), y0: tf.tensor2d(starts) };
    const { value, grads } = valueAndGrad((p: { k: tf.Tensor; y0: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: decay,
        solver: tsit5(),
        t0: 0,
        t1: 1,
        y0: p.y0,
        args: { k: p.k },
        stepsizeController: pidController({ rtol: 1e-7, atol: 1e-7 }),
        adjoint: directAdjoint(),
      });
      return tf.sum(sol.ys as tf.Tensor);
    })(params);
    const sum0 = starts.flat().reduce((a, b) => a + b, 0);
    expect(value.dataSync()[0]).toBeCloseTo(sum0 * Math.exp(-k), 5);
    expect(grads.k.dataSync()[0]).toBeCloseTo(-sum0 * Math.exp(-k), 4);
    expect(grads.y0).toBeAllclose(
      starts.map((r) => r.map(() => Math.exp(-k))),
      { rtol: 1e-4, atol: 0 },
    );
    disposeTree([value, grads.k, grads.y0, params.k, params.y0]);
  });
});

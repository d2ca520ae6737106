import { valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { constantStepSize, diffeqsolve, dopri5, recursiveCheckpointAdjoint } from './index.js';

// recursiveCheckpointAdjoint's batchStages: the stage Jacobians of a step in one batched VJP.
describe('batchStages', () => {
  const lossWith = (field: (t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.Tensor) => (p: { k: tf.Tensor }) => {
    const sol = diffeqsolve({
      term: field,
      solver: dopri5(),
      t0: 0,
      t1: 2,
      dt0: 0.1,
      y0: tf.tensor1d([1, 2]),
      args: p,
      adjoint: recursiveCheckpointAdjoint({ batchStages: true }),
    });
    return tf.sum(sol.ys as tf.Tensor);
  };
  it('throws clearly when the field depends on t', () => {
    const loss = lossWith((t, y, a) => tf.mul(tf.neg(a.k), tf.mul(y, 1 + Math.sin(t))));
    expect(() => valueAndGrad(loss)({ k: tf.scalar(0.5) })).toThrow(/depends on t .*Drop batchStages/);
  });
  it('throws clearly when the field does not map over a leading axis', () => {
    // works on one state [2] only: the output is always [2]
    const loss = lossWith((_t, y, a) =>
      tf.mul(tf.neg(a.k), tf.stack([tf.sum(tf.slice(y, [0], [1])), tf.sum(tf.slice(y, [1], [1]))])),
    );
    expect(() => valueAndGrad(loss)({ k: tf.scalar(0.5) })).toThrow(/batchStages/);
  });
  it('throws clearly when the field couples the samples of a batch', () => {
    const loss = (p: { k: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), tf.sub(y, tf.mean(y))),
        solver: dopri5(),
        t0: 0,
        t1: 1,
        dt0: 0.1,
        y0: tf.tensor2d([[1], [2]]),
        args: p,
        adjoint: recursiveCheckpointAdjoint({ batchStages: true }),
      });
      return tf.sum(sol.ys as tf.Tensor);
    };
    expect(() => valueAndGrad(loss)({ k: tf.scalar(1) })).toThrow(/couples different samples/);
  });

  it("'auto' (the default) falls back to per-stage VJPs for a t-dependent or sample-mixing field", () => {
    // y′ = −k (1 + sin t) y: y(2) = y0 exp(−k (2 + 1 − cos 2)), dL/dk = −(3 − cos 2) L
    const field = (t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), tf.mul(y, 1 + Math.sin(t)));
    const loss = (p: { k: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: field,
        solver: dopri5(),
        t0: 0,
        t1: 2,
        dt0: 0.05,
        y0: tf.tensor1d([1, 2]),
        args: p,
      });
      return tf.sum(sol.ys as tf.Tensor);
    };
    const { value, grads } = valueAndGrad(loss)({ k: tf.scalar(0.5) });
    const L = value.dataSync()[0] as number;
    expect(L).toBeAllclose(3 * Math.exp(-0.5 * (3 - Math.cos(2))), { rtol: 1e-5 });
    expect(grads.k.dataSync()[0]).toBeAllclose(-(3 - Math.cos(2)) * L, { rtol: 1e-4 });
    // y′ = −k (y − mean(y)) couples the two samples of the batch (the mean over all stage
    // points would be wrong): y₂ − y₁ = e^{−k t}
    const mixing = (p: { k: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: (_t, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), tf.sub(y, tf.mean(y))),
        solver: dopri5(),
        t0: 0,
        t1: 1,
        dt0: 0.1,
        y0: tf.tensor2d([[1], [2]]),
        args: p,
      });
      return tf.sum(tf.mul(sol.ys as tf.Tensor, tf.tensor3d([[[-1], [1]]])));
    };
    const g = valueAndGrad(mixing)({ k: tf.scalar(1) }).grads.k.dataSync()[0];
    expect(g).toBeAllclose(-Math.exp(-1), { rtol: 1e-4 });
  });

  it("'auto' batches the stage Jacobians only for states of at most 256 values", () => {
    // the batched call passes t = NaN: count those calls of the tensor field (compile: false) for
    // a small and a large batch
    for (const [rows, batched] of [
      [100, true],
      [200, false],
    ] as const) {
      let nanCalls = 0;
      const field = (t: number, y: tf.Tensor, a: { k: tf.Tensor }) => {
        if (Number.isNaN(t)) nanCalls++;
        return tf.mul(tf.neg(a.k), y);
      };
      const loss = (p: { k: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: field,
          solver: dopri5(),
          t0: 0,
          t1: 1,
          dt0: 0.25,
          y0: tf.ones([rows, 2]),
          args: p,
          stepsizeController: constantStepSize(),
          compile: false,
        });
        return tf.sum(sol.ys as tf.Tensor);
      };
      const { value, grads } = valueAndGrad(loss)({ k: tf.scalar(0.5) });
      // L = 2·rows·e^{−k}, dL/dk = −L
      expect(grads.k.dataSync()[0]).toBeAllclose(-(value.dataSync()[0] as number), { rtol: 1e-4 });
      expect(nanCalls > 0).toBe(batched);
      tf.dispose([value, grads.k]);
    }
  });

  it('rejects unknown options', () => {
    expect(() => recursiveCheckpointAdjoint({ checkpoint: 3 } as never)).toThrow(
      /unknown option 'checkpoint'.*did you mean 'checkpoints'/,
    );
  });
});

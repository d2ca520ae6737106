import { compileField, valueAndGrad } from '@odekit/core';
import { expectNoLeak, lvHybridArgs, lvHybridFieldFused, lvHybridParams } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  backsolveAdjoint,
  diffeqsolve,
  dopri5,
  pidController,
  recursiveCheckpointAdjoint,
  saveAt,
  tsit5,
} from './index.js';

// A hybrid field (the W2 model: Lotka–Volterra plus a small network), and a time-dependent one.
type Args = ReturnType<typeof lvHybridArgs>;
const ts = [0, 0.5, 1, 1.5, 2];
const y0Rows = [
  [2, 1],
  [1.5, 0.7],
  [2.4, 1.3],
];

/** The field, counting its calls (the compiled field calls it only while tracing). */
function counted<A>(f: (t: number, y: tf.Tensor, a: A) => tf.Tensor) {
  const calls = { n: 0 };
  const g = (t: number, y: tf.Tensor, a: A) => {
    calls.n++;
    return f(t, y, a);
  };
  return { f: g, calls };
}

function lossWith(field: (t: number, y: tf.Tensor, a: Args) => tf.Tensor, adjoint = recursiveCheckpointAdjoint()) {
  return (p: Args) => {
    const sol = diffeqsolve({
      term: field,
      solver: tsit5(),
      t0: 0,
      t1: 2,
      y0: tf.tensor2d(y0Rows),
      args: p,
      saveat: saveAt({ ts }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }),
      adjoint,
    });
    return tf.sum(tf.square(sol.ys as tf.Tensor));
  };
}

describe('compileField in diffeqsolve', () => {
  it('gives the tensor field’s solution, calling the tensor field only to trace it', () => {
    const args = lvHybridArgs(lvHybridParams());
    const y0 = tf.tensor2d(y0Rows);
    const { f, calls } = counted(lvHybridFieldFused);
    const fallbacks: string[] = [];
    const compiled = compileField(f, { onFallback: (r) => fallbacks.push(r) });
    const solve = (term: typeof lvHybridFieldFused) =>
      diffeqsolve({
        term,
        solver: dopri5(),
        t0: 0,
        t1: 5,
        y0,
        args,
        saveat: saveAt({ ts: [0, 1, 2, 3, 4, 5] }),
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }),
      });
    const a = solve(compiled);
    const b = solve(lvHybridFieldFused);
    expect(fallbacks).toEqual([]);
    // the two traces and tfjs's gradient for the VJP check (first open of this structure),
    // not one call per evaluation; a later solve of the same structure traces once
    expect(calls.n).toBe(3);
    solve(compiled).dispose();
    expect(calls.n).toBe(4);
    expect(a.stats.numFnEvals).toBeGreaterThan(50);
    expect((a.ys as tf.Tensor).arraySync()).toBeAllclose((b.ys as tf.Tensor).arraySync(), { rtol: 1e-5, atol: 1e-6 });
    a.dispose();
    b.dispose();
    tf.dispose([y0, ...Object.values(args)]);
  });

  it.each([
    ['recursiveCheckpointAdjoint', recursiveCheckpointAdjoint()],
    ['backsolveAdjoint', backsolveAdjoint({ stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }) })],
  ] as const)('gives the tensor field’s gradients through %s', (_name, adjoint) => {
    const args = lvHybridArgs(lvHybridParams());
    const { f, calls } = counted(lvHybridFieldFused);
    const host = valueAndGrad(lossWith(compileField(f, { strict: true }), adjoint))(args);
    const ref = valueAndGrad(lossWith(lvHybridFieldFused, adjoint))(args);
    expect(host.value.arraySync()).toBeAllclose(ref.value.arraySync(), { rtol: 1e-5 });
    expect(host.grads).toBeAllclose(ref.grads, { rtol: 2e-4, atol: 1e-5 });
    expect(calls.n).toBeLessThanOrEqual(8); // two per session (forward solve, backward pass)
    tf.dispose([
      host.value,
      ref.value,
      ...Object.values(host.grads),
      ...Object.values(ref.grads),
      ...Object.values(args),
    ]);
  });

  it('handles a state tree with one leaf and a field of t', () => {
    const k = tf.tensor1d([0.5, -0.25]);
    const field = (t: number, y: { x: tf.Tensor }, a: tf.Tensor) => ({ x: tf.mul(tf.neg(y.x), tf.add(a, t)) });
    const run = (term: typeof field) =>
      diffeqsolve({
        term,
        solver: tsit5(),
        t0: 0,
        t1: 1,
        y0: { x: tf.tensor2d([[1, 2]]) },
        args: k,
        saveat: saveAt({ t1: true }),
        stepsizeController: pidController({ rtol: 1e-7, atol: 1e-9 }),
      });
    const a = run(compileField(field, { strict: true }));
    const b = run(field);
    // y' = −(k + t)·y: y(1) = y0·exp(−k − 1/2)
    const exact = [Math.exp(-0.5 - 0.5), 2 * Math.exp(0.25 - 0.5)];
    expect(((a.ys as { x: tf.Tensor }).x.dataSync() as Float32Array).map((v) => v)).toBeAllclose(exact, { rtol: 1e-5 });
    expect((a.ys as { x: tf.Tensor }).x.arraySync()).toBeAllclose((b.ys as { x: tf.Tensor }).x.arraySync(), {
      rtol: 1e-6,
    });
    a.dispose();
    b.dispose();
    k.dispose();
  });

  it('leaks no tensors through a solve and its gradient', async () => {
    const args = lvHybridArgs(lvHybridParams());
    const compiled = compileField(lvHybridFieldFused, { strict: true });
    await expectNoLeak(() => {
      const r = valueAndGrad(lossWith(compiled))(args);
      tf.dispose([r.value, ...Object.values(r.grads)]);
    });
    tf.dispose(Object.values(args));
  });
});

import '@tensorflow/tfjs-backend-wasm';
import { disposeTree, useBackend, valueAndGrad } from '@odekit/core';
import { expectNoLeak, loadReferenceProblems } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directAdjoint } from './adjoint.js';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

const b1 = loadReferenceProblems().find((p) => p.id === 'B1');

/** Solves B1 (Lotka–Volterra) at 1e-6 on the current backend: saved values and stats. */
function solveB1() {
  if (b1 === undefined) throw new Error('B1 missing');
  const y0 = tf.tensor2d([b1.y0, b1.y0.map((v) => 1.5 * v)]);
  const sol = diffeqsolve({
    term: (t, y: tf.Tensor) => b1.vectorField(t, y),
    solver: tsit5(),
    t0: b1.t0,
    t1: b1.t1,
    y0,
    saveat: saveAt({ ts: b1.ts, dense: true }),
    stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }),
  });
  const ys = (sol.ys as tf.Tensor).arraySync() as number[][][];
  const mid = sol.evaluate(7.3) as tf.Tensor;
  const m = mid.arraySync() as number[][];
  const stats = sol.stats;
  tf.dispose([mid, y0]);
  sol.dispose();
  return { ys, m, stats };
}

describe('the wasm backend (host path and tensor path)', () => {
  let cpu: ReturnType<typeof solveB1>;
  beforeAll(async () => {
    cpu = solveB1();
    await useBackend('wasm');
  });
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('gives the cpu answer on a batched reference problem, without leaks', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const wasm = await expectNoLeak(solveB1);
    expect(wasm.stats.numAcceptedSteps).toBeGreaterThan(100);
    expect(Math.abs(wasm.stats.numFnEvals - cpu.stats.numFnEvals)).toBeLessThanOrEqual(0.05 * cpu.stats.numFnEvals);
    expect(wasm.ys).toBeAllclose(cpu.ys, { atol: 2e-4, rtol: 1e-4 });
    expect(wasm.m).toBeAllclose(cpu.m, { atol: 2e-4, rtol: 1e-4 });
    // and the float64 reference, sample 0
    expect(wasm.ys.map((row) => row[0])).toBeAllclose(b1?.ys, { atol: 1e-3, rtol: 0 });
  });

  it('differentiates a direct-adjoint solve of y′ = −k y', async () => {
    await expectNoLeak(() => {
      const p = { k: tf.scalar(0.6), y0: tf.tensor1d([1, 2]) };
      const { value, grads } = valueAndGrad((q: { k: tf.Tensor; y0: tf.Tensor }) => {
        const sol = diffeqsolve({
          term: (_t, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y),
          solver: dopri5(),
          t0: 0,
          t1: 2,
          y0: q.y0,
          args: { k: q.k },
          stepsizeController: pidController({ rtol: 1e-7, atol: 1e-7 }),
          adjoint: directAdjoint(),
        });
        return tf.sum(sol.ys as tf.Tensor);
      })(p);
      const e = Math.exp(-1.2);
      expect(value.dataSync()[0]).toBeCloseTo(3 * e, 5);
      expect(grads.k.dataSync()[0]).toBeCloseTo(-2 * 3 * e, 4);
      expect(grads.y0).toBeAllclose([e, e], { rtol: 1e-4, atol: 0 });
      disposeTree([value, grads, p]);
    });
  });
});

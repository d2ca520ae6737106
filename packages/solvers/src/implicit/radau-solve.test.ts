import { compileField, valueAndGrad } from '@odekit/core';
import { expectNoLeak, loadStiffProblems } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Adjoint, directAdjoint } from '../adjoint.js';
import { backsolveAdjoint } from '../backsolve-adjoint.js';
import { recursiveCheckpointAdjoint } from '../checkpoint-adjoint.js';
import { pidController } from '../controllers.js';
import { diffeqsolve } from '../diffeqsolve.js';
import { saveAt } from '../save-at.js';
import type { RowField } from '../solver.js';
import { radau5 } from './radau.js';

const problems = loadStiffProblems();
const rober = problems.find((p) => p.id === 'ROBER');
if (rober === undefined) throw new Error('fixtures missing');
const roberField = compileField((t: number, y: tf.Tensor) => rober.vectorField(t, y), { precision: 'float64' });

describe('radau5 in diffeqsolve', () => {
  it('dense output: evaluate(t) from the collocation polynomial matches the reference (≤ 1e-5 relative)', () => {
    const sol = diffeqsolve({
      term: roberField,
      solver: radau5(),
      t0: 0,
      t1: 40,
      y0: tf.tensor1d(rober.y0),
      saveat: saveAt({ dense: true }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-10 }),
    });
    rober.ts.forEach((t, i) => {
      const y = sol.evaluate(t) as tf.Tensor;
      const v = y.arraySync() as number[];
      (rober.ys[i] as number[]).forEach((r, j) => {
        const scale = Math.max(...rober.ys.map((row) => Math.abs(row[j] as number)));
        expect(Math.abs((v[j] as number) - r) / scale).toBeLessThan(1e-5);
      });
      y.dispose();
    });
    expect(sol.stats.numNewtonIterations).toBeGreaterThan(0);
    expect(sol.stats.numLuFactorisations).toBeGreaterThan(0);
    expect(sol.stats.numJacobianEvals).toBeGreaterThan(0);
    sol.dispose();
  });

  it('batches share steps (worst-sample norm) and each sample matches its own solve', () => {
    const y0s = [
      [1, 0, 0],
      [0.9, 1e-5, 0.1],
    ];
    const opts = { solver: radau5(), t0: 0, t1: 10, stepsizeController: pidController({ rtol: 1e-5, atol: 1e-9 }) };
    const batch = diffeqsolve({ ...opts, term: roberField, y0: tf.tensor2d(y0s) });
    const yb = (batch.ys as tf.Tensor).arraySync() as number[][][];
    y0s.forEach((y0, b) => {
      const one = diffeqsolve({ ...opts, term: roberField, y0: tf.tensor1d(y0) });
      const y1 = (one.ys as tf.Tensor).arraySync() as number[][];
      (y1[0] as number[]).forEach((v, j) => {
        expect(Math.abs((((yb[0] as number[][])[b] as number[])[j] as number) - v)).toBeLessThan(
          1e-4 * Math.max(Math.abs(v), 1e-3),
        );
      });
      expect(batch.stats.numSteps).toBeGreaterThanOrEqual(one.stats.numSteps - 2);
      one.dispose();
    });
    batch.dispose();
  });

  it('a plain tfjs field (float32, difference Jacobians) solves Robertson to t = 40 at rtol 1e-4', () => {
    const sol = diffeqsolve({
      term: (t, y: tf.Tensor) => rober.vectorField(t, y),
      solver: radau5(),
      t0: 0,
      t1: 40,
      y0: tf.tensor1d(rober.y0),
      stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8 }),
    });
    const y = (sol.ys as tf.Tensor).arraySync() as number[][];
    const ref = rober.ys[rober.ys.length - 1] as number[];
    expect(Math.abs(((y[0] as number[])[2] as number) - (ref[2] as number))).toBeLessThan(5e-4);
    sol.dispose();
  });

  it('the tensor step (backends without the host path) gives the host step, in float32', () => {
    const solver = radau5();
    const f: RowField = (t, y) => rober.vectorField(t, y as unknown as tf.Tensor) as tf.Tensor2D;
    const y0 = tf.tensor2d([rober.y0]);
    const tol = { rtol: 1e-4, atol: 1e-8, batch: 1 };
    const out = solver.step({ f, t0: 0, h: 1e-3, y0, f0: undefined, wantError: true, tol });
    const host = solver.stepHost?.(
      (t, y) => {
        const r = tf.tidy(() =>
          f(t, tf.tensor2d(Float32Array.from(y), [1, 3]))
            .dataSync()
            .slice(),
        );
        return r as Float32Array;
      },
      0,
      1e-3,
      Float64Array.from(rober.y0),
      undefined,
      true,
      tol,
    );
    if (host === undefined) throw new Error('no host step');
    const y1 = out.y1.dataSync();
    host.y1.forEach((v, i) => {
      expect(Math.abs((y1[i] as number) - v)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)));
    });
    expect(out.dense.shape).toEqual([4, 3]);
    expect(out.nextStep).toBeGreaterThan(0);
    tf.dispose([y0, out.y1, out.yError, out.dense, out.f1].filter((x) => x !== undefined));
  });

  it('dtmax caps the step-size rule', () => {
    const sol = diffeqsolve({
      term: roberField,
      solver: radau5(),
      t0: 0,
      t1: 40,
      y0: tf.tensor1d(rober.y0),
      saveat: saveAt({ steps: true }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-10, dtmax: 2 }),
    });
    const ts = sol.ts;
    for (let i = 1; i < ts.length; i++)
      expect((ts[i] as number) - (ts[i - 1] as number)).toBeLessThanOrEqual(2 + 1e-12);
    sol.dispose();
  });
});

describe('radau5 options', () => {
  it('bad options are refused at the call, naming the option', () => {
    expect(() => radau5({ kappa: -1 })).toThrow(/radau5: 'kappa' must be a positive number/);
    expect(() => radau5({ jacobain: 'fd' } as never)).toThrow(/did you mean 'jacobian'/);
  });
});

describe('radau5: no leaked tensors', () => {
  it('host solve with saved and dense output', async () => {
    await expectNoLeak(() => {
      const y0 = tf.tensor1d(rober.y0);
      const sol = diffeqsolve({
        term: roberField,
        solver: radau5(),
        t0: 0,
        t1: 1,
        y0,
        saveat: saveAt({ ts: [0.5, 1], dense: true }),
        stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8 }),
      });
      tf.dispose(sol.evaluate(0.3) as tf.Tensor);
      sol.dispose();
      y0.dispose();
    });
  });
});

describe('radau5 gradients (implicit function theorem)', () => {
  const field = (_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), tf.sub(y, tf.sin(y)));
  const grad = (adjoint: Adjoint) => {
    const k = tf.scalar(20);
    const { value, grads } = valueAndGrad((p: { k: tf.Tensor }) => {
      const sol = diffeqsolve({
        term: field,
        solver: radau5(),
        t0: 0,
        t1: 1,
        y0: tf.tensor1d([1, 2]),
        args: p,
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }),
        adjoint,
      });
      const l = tf.sum(sol.ys as tf.Tensor) as tf.Scalar;
      sol.dispose();
      return l;
    })({ k });
    const g = grads.k.dataSync()[0] as number;
    tf.dispose([k, value, grads.k]);
    return g;
  };
  it('direct, recursive-checkpoint and backsolve adjoints agree on a mildly stiff problem (≤ 1e-3)', () => {
    const direct = grad(directAdjoint());
    const checkpoint = grad(recursiveCheckpointAdjoint());
    const back = grad(backsolveAdjoint());
    expect(
      Math.abs(checkpoint - direct) / Math.abs(direct),
      `checkpointed ${checkpoint} vs direct ${direct}`,
    ).toBeLessThan(1e-3);
    expect(Math.abs(back - direct) / Math.abs(direct), `backsolve ${back} vs direct ${direct}`).toBeLessThan(1e-3);
  });
  it('no leaked tensors under the direct and checkpointed adjoints', async () => {
    await expectNoLeak(() => {
      grad(directAdjoint());
      grad(recursiveCheckpointAdjoint());
    });
  });
});

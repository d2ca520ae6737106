import { compileField, valueAndGrad } from '@odekit/core';
import { expectNoLeak, loadStiffProblems } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { directAdjoint } from '../adjoint.js';
import { constantStepSize, pidController } from '../controllers.js';
import { diffeqsolve } from '../diffeqsolve.js';
import { tsit5 } from '../runge-kutta/solvers.js';
import { saveAt } from '../save-at.js';
import { SolveError } from '../solution.js';
import { implicitEuler, kvaerno3, kvaerno5, rodas4 } from './implicit-solvers.js';
import { radau5 } from './radau.js';

const problems = loadStiffProblems();
const rober = problems.find((p) => p.id === 'ROBER');
const vdp = problems.find((p) => p.id === 'VDP1000');
if (rober === undefined || vdp === undefined) throw new Error('fixtures missing');
const roberField = compileField((t: number, y: tf.Tensor) => rober.vectorField(t, y));

describe('implicit solvers in diffeqsolve', () => {
  it('batches share steps (worst-sample norm) and each sample matches its own solve', () => {
    const y0s = [
      [1, 0, 0],
      [0.9, 1e-5, 0.1],
      [0.5, 2e-5, 0.5],
    ];
    const opts = { solver: kvaerno5(), t0: 0, t1: 10, stepsizeController: pidController({ rtol: 1e-5, atol: 1e-9 }) };
    const batch = diffeqsolve({ ...opts, term: roberField, y0: tf.tensor2d(y0s) });
    const yb = (batch.ys as tf.Tensor).arraySync() as number[][][];
    y0s.forEach((y0, b) => {
      const one = diffeqsolve({ ...opts, term: roberField, y0: tf.tensor1d(y0) });
      const y1 = (one.ys as tf.Tensor).arraySync() as number[][];
      (y1[0] as number[]).forEach((v, j) => {
        expect(Math.abs(((yb[0] as number[][])[b] as number[])[j] as number) - v).toBeLessThan(
          1e-4 * Math.max(Math.abs(v), 1e-3),
        );
      });
      // the batch takes at least as many steps as each of its samples
      expect(batch.stats.numSteps).toBeGreaterThanOrEqual(one.stats.numSteps - 2);
      one.dispose();
    });
    expect(batch.stats.numNewtonIterations).toBeGreaterThan(0);
    expect(batch.stats.numLuFactorisations).toBeGreaterThan(0);
    batch.dispose();
  });

  it('dense output: evaluate(t) matches the reference between steps (from the stages, ≤ 1e-4 relative)', () => {
    const sol = diffeqsolve({
      term: roberField,
      solver: kvaerno5(),
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
        expect(Math.abs((v[j] as number) - r) / scale).toBeLessThan(1e-4);
      });
      y.dispose();
    });
    sol.dispose();
  });

  it('every implicit solver solves Robertson to t = 40 at rtol 1e-4 (plain tfjs field, FD or tape-VJP Jacobians)', () => {
    for (const make of [kvaerno5, kvaerno3, implicitEuler, rodas4]) {
      const sol = diffeqsolve({
        term: (t, y: tf.Tensor) => rober.vectorField(t, y),
        solver: make(),
        t0: 0,
        t1: 40,
        y0: tf.tensor1d(rober.y0),
        stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8 }),
        maxSteps: 20000,
      });
      const y = (sol.ys as tf.Tensor).arraySync() as number[][];
      const ref = rober.ys[rober.ys.length - 1] as number[];
      expect(Math.abs(((y[0] as number[])[2] as number) - (ref[2] as number)), make.name).toBeLessThan(
        make === implicitEuler ? 5e-3 : 5e-4,
      );
      expect(sol.stats.numJacobianEvals).toBeGreaterThan(0);
      sol.dispose();
    }
  });

  it('the host storage stacks a first saved block of several rows (regression)', () => {
    const sol = diffeqsolve({
      term: (_t, y: tf.Tensor) => tf.neg(y),
      solver: kvaerno5(),
      t0: 0,
      t1: 1,
      dt0: 1,
      y0: tf.tensor1d([1, 2]),
      saveat: saveAt({ ts: [0.25, 0.5, 1] }),
      stepsizeController: constantStepSize(),
    });
    expect((sol.ys as tf.Tensor).shape).toEqual([3, 2]);
    sol.dispose();
  });
});

describe.each([
  ['kvaerno5', kvaerno5],
  ['radau5', radau5],
] as const)('%s: failures end in a result code with the partial solution, never NaN', (_name, solverOf) => {
  it('a singular (NaN) user Jacobian: steps are rejected down to dt_min, the partial solution is kept', () => {
    const sol = diffeqsolve({
      term: roberField,
      solver: solverOf({ jacobian: () => [Number.NaN, 0, 0, 0, Number.NaN, 0, 0, 0, Number.NaN] }),
      t0: 0,
      t1: 40,
      y0: tf.tensor1d(rober.y0),
      saveat: saveAt({ t0: true, steps: true }),
      stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8, dtmin: 1e-6 }),
      throwOnFailure: false,
    });
    expect(sol.result).toBe('dt_min_reached');
    const ys = (sol.ys as tf.Tensor).dataSync();
    expect(ys.length).toBeGreaterThan(0);
    expect(Array.from(ys).every(Number.isFinite)).toBe(true);
    sol.dispose();
  });

  it('Newton divergence at the smallest step (a wrong-signed Jacobian): dt_min_reached, and a SolveError by default', () => {
    const stiff = (_t: number, y: tf.Tensor) => tf.mul(-1e4, y);
    const make = () => solverOf({ jacobian: () => [1e4], maxNewtonIterations: 4 });
    const opts = {
      term: stiff,
      t0: 0,
      t1: 1,
      y0: tf.tensor1d([1]),
      stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8, dtmin: 0.01 }),
    };
    const sol = diffeqsolve({ ...opts, solver: make(), throwOnFailure: false });
    expect(sol.result).toBe('dt_min_reached');
    expect(sol.stats.numRejectedSteps).toBeGreaterThan(0);
    expect(Array.from((sol.ys as tf.Tensor).dataSync()).every(Number.isFinite)).toBe(true);
    sol.dispose();
    let err: unknown;
    try {
      diffeqsolve({ ...opts, solver: make() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SolveError);
    (err as SolveError).solution.dispose();
  });

  it('an explicit solver that hits maxSteps on a stiff problem says so and suggests kvaerno5()', () => {
    let err: unknown;
    try {
      diffeqsolve({
        term: (t, y: tf.Tensor) => vdp.vectorField(t, y),
        solver: tsit5(),
        t0: 0,
        t1: 3000,
        y0: tf.tensor1d(vdp.y0),
        stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8 }),
        maxSteps: 300,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SolveError);
    expect((err as Error).message).toMatch(/stiff.*kvaerno5\(\)/);
    (err as SolveError).solution.dispose();
    // a nonstiff problem that simply needs more steps gets the plain advice
    try {
      diffeqsolve({
        term: (t, y: tf.Tensor) => tf.cos(tf.mul(y, 0).add(t * 50)),
        solver: tsit5(),
        t0: 0,
        t1: 100,
        y0: tf.tensor1d([0]),
        stepsizeController: pidController({ rtol: 1e-8, atol: 1e-8 }),
        maxSteps: 50,
      });
    } catch (e) {
      expect((e as Error).message).not.toMatch(/kvaerno5/);
      (e as SolveError).solution.dispose();
    }
  });

  it('bad options are refused at the call, naming the option', () => {
    expect(() => kvaerno5({ kappa: -1 })).toThrow(/kvaerno5: 'kappa' must be a positive number/);
    expect(() => kvaerno5({ jacobain: 'fd' } as never)).toThrow(/did you mean 'jacobian'/);
    expect(() => rodas4({ jacobian: 'exact' as never })).toThrow(/'jacobian' must be 'auto', 'fd', 'vjp'/);
    expect(() => kvaerno3({ maxNewtonIterations: 0 })).toThrow(/maxNewtonIterations/);
  });
});

describe('no leaked tensors', () => {
  for (const make of [kvaerno5, rodas4]) {
    it(`${make.name}: host solve with dense output, and a taped gradient`, async () => {
      await expectNoLeak(() => {
        const y0 = tf.tensor1d(rober.y0);
        const sol = diffeqsolve({
          term: roberField,
          solver: make(),
          t0: 0,
          t1: 1,
          y0,
          saveat: saveAt({ ts: [0.5, 1], dense: true }),
          stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8 }),
        });
        tf.dispose(sol.evaluate(0.3) as tf.Tensor);
        sol.dispose();
        y0.dispose();
        const k = tf.scalar(2);
        const { value, grads } = valueAndGrad((a: { k: tf.Tensor }) => {
          const s = diffeqsolve({
            term: (_t, y: tf.Tensor, p: { k: tf.Tensor }) => tf.mul(tf.neg(p.k), tf.sub(y, tf.sin(y))),
            solver: make(),
            t0: 0,
            t1: 1,
            y0: tf.tensor1d([1]),
            args: a,
            adjoint: directAdjoint(),
            stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }),
          });
          const l = tf.sum(s.ys as tf.Tensor) as tf.Scalar;
          s.dispose();
          return l;
        })({ k });
        tf.dispose([k, value, grads.k]);
      });
    });
  }
});

import { loadReferenceProblems } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { dopri5, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';

const problems = loadReferenceProblems().filter((p) => !p.stiff);

describe('nonstiff reference problems at rtol = atol = 1e-6 (vs SciPy RK45)', () => {
  it('covers the twelve nonstiff problems', () => {
    expect(problems.map((p) => p.id)).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'B1', 'B2', 'B5', 'D1', 'D3', 'E2', 'E4']);
  });
  for (const [name, solver] of [
    ['tsit5', tsit5()],
    ['dopri5', dopri5()],
  ] as const) {
    for (const p of problems) {
      it(`${name} on ${p.id}: error ≤ max(10 × RK45, 1e-4), NFE ≤ 1.25 × RK45`, () => {
        const ref = p.scipy['RK45@1e-06'];
        if (ref === undefined) throw new Error(`${p.id} has no RK45@1e-06 figures`);
        const sol = diffeqsolve({
          term: (t, y: tf.Tensor) => p.vectorField(t, y),
          solver,
          t0: p.t0,
          t1: p.t1,
          y0: tf.tensor1d(p.y0),
          saveat: saveAt({ ts: p.ts }),
          stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }),
        });
        const ys = (sol.ys as tf.Tensor).arraySync() as number[][];
        let err = 0;
        p.ys.forEach((row, i) => {
          row.forEach((v, j) => {
            err = Math.max(err, Math.abs(((ys[i] as number[])[j] as number) - v));
          });
        });
        const nfe = sol.stats.numFnEvals;
        const ts = sol.ts;
        sol.dispose();
        expect(ts).toEqual(p.ts);
        expect(err, `${p.id} max abs error (SciPy RK45: ${ref.maxAbsErr})`).toBeLessThanOrEqual(
          Math.max(10 * ref.maxAbsErr, 1e-4),
        );
        expect(nfe, `${p.id} NFE (SciPy RK45: ${ref.nfe})`).toBeLessThanOrEqual(1.25 * ref.nfe);
      });
    }
  }
});

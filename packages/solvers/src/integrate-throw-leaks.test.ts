import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { constantStepSize, pidController } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { rk4, tsit5 } from './runge-kutta/solvers.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';

const decay = (_t: number, y: tf.Tensor) => tf.neg(y);

describe('a solve that throws part-way leaks nothing', () => {
  const cases: [string, () => AbstractSolver, boolean][] = [
    ['tsit5, adaptive', tsit5, true],
    ['rk4, constant steps (Hermite rows)', rk4, false],
  ];
  for (const [label, make, adaptive] of cases) {
    const options = () => ({
      solver: make(),
      t0: 0,
      t1: 1,
      ...(adaptive
        ? { stepsizeController: pidController({ rtol: 1e-6, atol: 1e-6 }) }
        : { dt0: 0.05, stepsizeController: constantStepSize() }),
      y0: tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      saveat: saveAt({ t0: true, ts: [0.1, 0.3, 0.9], steps: true, dense: true }),
    });
    it(`${label}: the vector field throws after t = 0.5`, async () => {
      await expectNoLeak(() => {
        const o = options();
        const throwing = (t: number, y: tf.Tensor) => {
          if (t > 0.5) throw new Error('field failed');
          return decay(t, y);
        };
        expect(() => diffeqsolve({ ...o, term: throwing })).toThrow('field failed');
        o.y0.dispose();
      });
    });
    it(`${label}: the progress callback throws (an abort) after t = 0.5`, async () => {
      await expectNoLeak(() => {
        const o = options();
        const progress = (p: { t: number }) => {
          if (p.t > 0.5) throw new Error('aborted');
        };
        expect(() => diffeqsolve({ ...o, term: decay, progress })).toThrow('aborted');
        o.y0.dispose();
      });
    });
  }
});

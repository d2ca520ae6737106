import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pidController } from '../controllers.js';
import { diffeqsolve } from '../diffeqsolve.js';
import { saveAt } from '../save-at.js';
import type { AbstractSolver } from '../solver.js';
import { SLOW_NEWTON_THETA } from './esdirk-core.js';
import { kvaerno5 } from './implicit-solvers.js';

/**
 * A host step's `maxGrowth` caps the controller's next step (integrate.ts); kvaerno5 sets it to 1
 * after a step whose Newton iterations contracted slower than `SLOW_NEWTON_THETA`.
 */
describe('maxGrowth: the solver caps the next step after slow Newton convergence', () => {
  const solve = (solver: AbstractSolver) =>
    diffeqsolve({
      term: (_t: number, y: tf.Tensor) => tf.mul(-50, y),
      solver,
      t0: 0,
      t1: 1,
      y0: tf.tensor1d([1]),
      dt0: 1e-3,
      saveat: saveAt({ steps: true }),
      stepsizeController: pidController({ rtol: 1e-6, atol: 1e-9 }),
    });

  it('a cap of 1 on every step keeps the step size from growing', () => {
    const inner = kvaerno5();
    const stepHost = inner.stepHost;
    if (stepHost === undefined) throw new Error('kvaerno5 has a host step');
    const capped: AbstractSolver = { ...inner, stepHost: (...a) => ({ ...stepHost(...a), maxGrowth: 1 }) };
    const free = solve(inner);
    const held = solve(capped);
    const hs = (sol: typeof free) => {
      const ts = sol.ts.filter((t) => Number.isFinite(t));
      return ts.slice(1).map((t, i) => t - (ts[i] as number));
    };
    const freeH = hs(free);
    const heldH = hs(held);
    free.dispose();
    held.dispose();
    expect(Math.max(...freeH)).toBeGreaterThan(10 * (freeH[0] as number));
    // (the last step may be cut short to land on t1)
    for (let i = 1; i < heldH.length - 1; i++)
      expect(heldH[i]).toBeLessThanOrEqual((heldH[i - 1] as number) * (1 + 1e-9));
    expect(SLOW_NEWTON_THETA).toBeGreaterThan(0);
  });
});

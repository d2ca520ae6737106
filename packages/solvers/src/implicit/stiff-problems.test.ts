import { compileField } from '@odekit/core';
import { loadStiffProblems } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pidController } from '../controllers.js';
import { diffeqsolve } from '../diffeqsolve.js';
import { saveAt } from '../save-at.js';
import type { AbstractSolver } from '../solver.js';
import { kvaerno3, kvaerno5, rodas4, rodas5p } from './implicit-solvers.js';
import { radau5 } from './radau.js';

/**
 * The stiff reference problems (fixtures/stiff-problems.json, made by
 * packages/testing/scripts/make-stiff-problems.py with SciPy 1.17.1) on the float64 host path:
 * float64 state and linear algebra, the field compiled with `compileField(f, { precision:
 * 'float64' })` (float64 values and VJP Jacobians); errors at the fixture's save times, which fall
 * inside steps (dense output), as SciPy's figures are. With the default float32 field, solves are
 * limited to rtol ≳ 1e-4 (rodas4 took 2.2 × Radau's evaluations on Van der Pol at 1e-6).
 *
 * The bars are error ≤ max(10 × SciPy Radau's, 1e-4) relative (max over save times and
 * components of |err| / max_t |y_i|) and NFE (Jacobian evaluations included) ≤ 2 × Radau's. Each
 * case asserts the bar (`'bar'`, and NFE ≤ 2×) where it holds and otherwise the measured
 * figure with a margin, marked `bar not met` with the measured value (see the package README).
 * radau5 meets both bars on every problem at both tolerances (Van der Pol at rtol 1e-3: 3.4e-4
 * against 9.7e-4, 0.96 × Radau's evaluations); of the others, rodas5p comes closest there (1.6e-3).
 */
const problems = loadStiffProblems();

type Case = [problem: string, rtol: 1e-3 | 1e-6, maxNfeRatio: number, maxRelErr: number | 'bar'];
const KVAERNO5: Case[] = [
  ['ROBER', 1e-3, 2, 3e-3], // error bar not met (1.8e-3 vs 7.3e-4); rodas4 meets it
  ['ROBER', 1e-6, 2, 'bar'],
  ['ROBER1E5', 1e-3, 2, 'bar'],
  ['ROBER1E5', 1e-6, 2, 'bar'],
  ['VDP1000', 1e-3, 2.5, 0.05], // NFE (2.28×) and error (2.2e-2 vs 9.7e-4) bars not met
  ['VDP1000', 1e-6, 2, 3e-4], // error bar not met (1.2e-4 vs 1e-4)
  ['OREGO', 1e-3, 2, 'bar'],
  ['OREGO', 1e-6, 2, 'bar'],
  ['HIRES', 1e-3, 2, 'bar'],
  ['HIRES', 1e-6, 2, 'bar'],
];
const RODAS4: Case[] = [
  ['ROBER', 1e-3, 2, 'bar'],
  ['ROBER', 1e-6, 2, 'bar'],
  ['ROBER1E5', 1e-3, 2, 'bar'],
  ['ROBER1E5', 1e-6, 2, 'bar'],
  ['VDP1000', 1e-3, 2, 1e-2], // error bar not met (4.5e-3 vs 9.7e-4)
  ['VDP1000', 1e-6, 2, 'bar'], // 3.8e-6, 1.08× (2.2× with the float32 field and ∂f/∂t by differences)
  ['OREGO', 1e-3, 2, 0.06], // error bar not met (3.0e-2 vs 4.7e-3); kvaerno5 meets it
  ['OREGO', 1e-6, 2, 'bar'],
  ['HIRES', 1e-3, 2, 'bar'],
  ['HIRES', 1e-6, 2.1, 'bar'], // 1.98 × Radau's evaluations: the NFE bar is met, with 1 % to spare
];
// rodas5p: every bar but the error on Van der Pol and the Oregonator at rtol 1e-3, at 0.68–1.29 ×
// Radau's evaluations (HIRES, added as a check on a problem the solvers were not tuned on,
// passes for kvaerno5, rodas4 and rodas5p at both tolerances). Van der Pol's error there sits at t = 2400, just before the fold, where
// the phase error of the whole solve shows in the fast component: it moves between 8.5e-4 and
// 8.6e-3 with the controller's factormax (5…10) or safety, so no setting meets it robustly.
const RODAS5P: Case[] = [
  ['ROBER', 1e-3, 2, 'bar'],
  ['ROBER', 1e-6, 2, 'bar'],
  ['ROBER1E5', 1e-3, 2, 'bar'],
  ['ROBER1E5', 1e-6, 2, 'bar'],
  ['VDP1000', 1e-3, 2, 4e-3], // error bar not met (1.6e-3 vs 9.7e-4)
  ['VDP1000', 1e-6, 2, 'bar'],
  ['OREGO', 1e-3, 2, 1e-2], // error bar not met (5.4e-3 vs 4.7e-3); kvaerno5 meets it
  ['OREGO', 1e-6, 2, 'bar'],
  ['HIRES', 1e-3, 2, 'bar'],
  ['HIRES', 1e-6, 2, 'bar'],
];
// radau5 (RADAU5's algorithm, so close to SciPy's Radau: 0.94–1.00 × its evaluations, within 1 % of
// its steps on Van der Pol at 1e-6); measured errors: ROBER 6.9e-5 / 1.4e-7, ROBER1E5 1.4e-3 /
// 4.1e-7, VDP1000 3.4e-4 / 8.3e-7, OREGO 2.1e-4 / 1.4e-5, HIRES 1.2e-4 / 9.9e-6 (rtol 1e-3 / 1e-6).
const RADAU5: Case[] = ['ROBER', 'ROBER1E5', 'VDP1000', 'OREGO', 'HIRES'].flatMap((id): Case[] => [
  [id, 1e-3, 1.1, 'bar'],
  [id, 1e-6, 1.1, 'bar'],
]);
// kvaerno3 at rtol 1e-3 (third order: at 1e-6 it takes 2.5–3.3 × Radau's evaluations). Before the
// difference Jacobian was taken from f(t0, y0) rather than the step's first-same-as-last k_0,
// kvaerno3 left Robertson's slow manifold here (y2 < 0, error 3.7).
const KVAERNO3: Case[] = [
  ['ROBER', 1e-3, 2, 1.5e-3], // error bar not met (7.8e-4 vs 7.3e-4)
  ['ROBER1E5', 1e-3, 2, 0.05], // error bar not met (2.2e-2 vs 1.4e-2)
];
// With a PI controller (pcoeff 0.3, icoeff 0.4) kvaerno5 meets both bars on Van der Pol at 1e-6.
const KVAERNO5_PI: Case[] = [['VDP1000', 1e-6, 2, 'bar']];

function run(solver: AbstractSolver, [id, rtol, maxRatio, maxRel]: Case, pi = {}) {
  const p = problems.find((q) => q.id === id);
  if (p === undefined) throw new Error(`no problem ${id}`);
  const atol = rtol === 1e-3 ? 1e-6 : 1e-10;
  const radau = p.scipy[`Radau@${rtol === 1e-3 ? '0.001/1e-06' : '1e-06/1e-10'}`];
  if (radau === undefined) throw new Error('no Radau figures');
  const sol = diffeqsolve({
    term: compileField((t: number, y: tf.Tensor) => p.vectorField(t, y), { precision: 'float64', strict: true }),
    solver,
    t0: p.t0,
    t1: p.t1,
    y0: tf.tensor1d(p.y0),
    saveat: saveAt({ ts: p.ts }),
    stepsizeController: pidController({ rtol, atol, ...pi }),
    maxSteps: 20000,
  });
  const ys = (sol.ys as tf.Tensor).arraySync() as number[][];
  const scale = p.y0.map((_, j) => Math.max(...p.ys.map((r) => Math.abs(r[j] as number))));
  let rel = 0;
  p.ys.forEach((row, i) => {
    row.forEach((v, j) => {
      rel = Math.max(rel, Math.abs(((ys[i] as number[])[j] as number) - v) / (scale[j] as number));
    });
  });
  const ratio = sol.stats.numFnEvals / radau.nfeWithJac;
  expect(sol.stats.numJacobianEvals).toBeGreaterThan(0);
  sol.dispose();
  expect(ratio, `NFE ${ratio.toFixed(2)} × Radau`).toBeLessThanOrEqual(maxRatio);
  const bar = Math.max(10 * radau.maxRelErr, 1e-4);
  expect(rel, `relative error ${rel.toExponential(2)} (bar ${bar.toExponential(2)})`).toBeLessThanOrEqual(
    maxRel === 'bar' ? bar : maxRel,
  );
}

describe('stiff reference problems vs SciPy Radau (float64 host path)', () => {
  for (const c of KVAERNO5) it(`kvaerno5 on ${c[0]} at rtol ${c[1]}`, () => run(kvaerno5(), c));
  for (const c of RODAS4) it(`rodas4 on ${c[0]} at rtol ${c[1]}`, () => run(rodas4(), c));
  for (const c of RODAS5P) it(`rodas5p on ${c[0]} at rtol ${c[1]}`, () => run(rodas5p(), c));
  for (const c of RADAU5) it(`radau5 on ${c[0]} at rtol ${c[1]}`, () => run(radau5(), c));
  for (const c of KVAERNO3) it(`kvaerno3 on ${c[0]} at rtol ${c[1]}`, () => run(kvaerno3(), c));
  for (const c of KVAERNO5_PI) {
    it(`kvaerno5 with pidController({ pcoeff: 0.3, icoeff: 0.4 }) on ${c[0]} at rtol ${c[1]}`, () =>
      run(kvaerno5(), c, { pcoeff: 0.3, icoeff: 0.4 }));
  }
});

describe('rosenbrock methods skip ∂f/∂t for an autonomous compiled field', () => {
  it('two evaluations fewer per Jacobian than the same field with a (zero) time term', () => {
    const p = problems.find((q) => q.id === 'ROBER');
    if (p === undefined) throw new Error('no ROBER');
    const solve = (withTime: boolean) => {
      const field = compileField(
        (t: number, y: tf.Tensor) =>
          withTime ? tf.add(p.vectorField(t, y), tf.mul(tf.scalar(t), 0)) : p.vectorField(t, y),
        { precision: 'float64', strict: true },
      );
      const y0 = tf.tensor1d(p.y0);
      const sol = diffeqsolve({
        term: field,
        solver: rodas5p(),
        t0: 0,
        t1: 40,
        y0,
        stepsizeController: pidController({ rtol: 1e-6, atol: 1e-10 }),
      });
      const out = { ...sol.stats, y: Array.from((sol.ys as tf.Tensor).dataSync()) };
      sol.dispose();
      y0.dispose();
      return out;
    };
    const auto = solve(false);
    const timed = solve(true);
    expect(auto.numAcceptedSteps).toBe(timed.numAcceptedSteps);
    expect(timed.numFnEvals - auto.numFnEvals).toBe(2 * (timed.numJacobianEvals ?? Number.NaN));
    expect(auto.y).toEqual(timed.y);
  });
});

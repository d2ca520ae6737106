import { empiricalOrder } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import type { AbstractSolver, HostField } from '../solver.js';
import { implicitEuler, kvaerno3, kvaerno5, rodas4, rodas5p } from './implicit-solvers.js';
import { radau5 } from './radau.js';

/**
 * A nonlinear, non-autonomous problem with a known solution, in float64 (so the method's own
 * order shows, not float32's floor): u' = −u², v' = u·v, w' = cos t, from (1, 1, 0):
 * u = 1/(1 + t), v = 1 + t, w = sin t.
 */
const field: HostField = (t, y) =>
  Float64Array.from([
    -((y[0] as number) ** 2),
    (y[1] as number) * (y[0] as number),
    Math.cos(t) * (1 + 0 * (y[2] as number)),
  ]) as unknown as Float32Array;
const exact = (t: number) => [1 / (1 + t), 1 + t, Math.sin(t)];

function solveFixed(solver: AbstractSolver, n: number): number {
  const stepHost = solver.stepHost;
  if (stepHost === undefined) throw new Error('no host step');
  const T = 1;
  const h = T / n;
  let y: Float64Array = Float64Array.from([1, 1, 0]);
  for (let i = 0; i < n; i++) {
    y = stepHost(field, i * h, h, y, undefined, false, { rtol: 0, atol: 0, batch: 1 }).y1;
  }
  const ex = exact(T);
  return Math.max(...ex.map((v, i) => Math.abs((y[i] as number) - v)));
}

// tight Newton tolerances (the solver's own, used with constant steps)
const tight = { rtol: 1e-13, atol: 1e-13, kappa: 1e-3, maxNewtonIterations: 30 };
// a Rosenbrock method needs the exact Jacobian for its order: the user option gives it
const exactJacobian = (_t: number, y: Float64Array) => [
  -2 * (y[0] as number),
  0,
  0,
  y[1] as number,
  y[0] as number,
  0,
  0,
  0,
  0,
];
const cases: [string, AbstractSolver, number, number[]][] = [
  ['implicitEuler', implicitEuler(tight), 1, [40, 80, 160, 320]],
  ['kvaerno3', kvaerno3(tight), 3, [10, 20, 40, 80]],
  ['kvaerno5', kvaerno5(tight), 5, [4, 8, 16, 32]],
  // a Rosenbrock method needs the exact Jacobian for its order: the user option gives it
  [
    'rodas4',
    rodas4({
      ...tight,
      jacobian: (_t: number, y: Float64Array) => [
        -2 * (y[0] as number),
        0,
        0,
        y[1] as number,
        y[0] as number,
        0,
        0,
        0,
        0,
      ],
    }),
    4,
    [8, 16, 32, 64],
  ],
  ['rodas5p', rodas5p({ ...tight, jacobian: exactJacobian }), 5, [8, 16, 32, 64]],
  ['radau5', radau5(tight), 5, [4, 8, 16, 32]],
];

describe('empirical order on a nonstiff problem (constant steps, tight Newton tolerances)', () => {
  for (const [name, solver, order, ns] of cases) {
    it(`${name} converges with order ${order} ± 0.3`, () => {
      const errs = ns.map((n) => solveFixed(solver, n));
      const p = empiricalOrder(
        ns.map((n) => 1 / n),
        errs,
      );
      expect(Math.abs(p - order), `order ${p}, errors ${errs.map((e) => e.toExponential(2)).join(' ')}`).toBeLessThan(
        0.3,
      );
    });
  }
});

/** The dense output's error at θ = 0.3 and 0.7 of one step of size h from t = 0.2. */
function denseError(solver: AbstractSolver, h: number): number {
  const stepHost = solver.stepHost;
  if (stepHost === undefined) throw new Error('no host step');
  const t0 = 0.2;
  const y0 = Float64Array.from(exact(t0));
  const out = stepHost(field, t0, h, y0, undefined, false, { rtol: 0, atol: 0, batch: 1 });
  let worst = 0;
  for (const theta of [0.3, 0.7]) {
    const w = solver.denseWeights(theta, h, false);
    const ex = exact(t0 + theta * h);
    for (let i = 0; i < 3; i++) {
      let y = (w[0] as number) * (y0[i] as number);
      out.dense.k.forEach((k, q) => {
        y += (w[q + 1] as number) * (k[i] as number);
      });
      worst = Math.max(worst, Math.abs(y - (ex[i] as number)));
    }
  }
  return worst;
}

describe('dense output order of the Rosenbrock methods and radau5 (local error inside one step ∝ h^(q+1))', () => {
  for (const [name, solver, q] of [
    // the collocation polynomial through y0 and the three stages (order 3)
    ['radau5', radau5(tight), 3],
    ['rodas4', rodas4({ ...tight, jacobian: exactJacobian }), 3],
    ['rodas5p', rodas5p({ ...tight, jacobian: exactJacobian }), 4],
  ] as const) {
    it(`${name}: continuous order ${q} ± 0.4`, () => {
      const hs = [0.4, 0.2, 0.1, 0.05];
      const errs = hs.map((h) => denseError(solver, h));
      const p = empiricalOrder(hs, errs) - 1;
      expect(Math.abs(p - q), `order ${p}, errors ${errs.map((e) => e.toExponential(2)).join(' ')}`).toBeLessThan(0.4);
    });
  }
});

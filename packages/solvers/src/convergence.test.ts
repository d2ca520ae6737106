import { valueAndGrad } from '@odekit/core';
import { empiricalOrder } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { directAdjoint } from './adjoint.js';
import { constantStepSize } from './controllers.js';
import { diffeqsolve } from './diffeqsolve.js';
import { bosh3, dopri5, dopri8, euler, heun, midpoint, ralston, rk4, tsit5 } from './runge-kutta/solvers.js';
import { TSIT5 } from './runge-kutta/tableaus.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver } from './solver.js';

// y' = A y with eigenvalues −0.07 ± 1.03i and −0.28 ± 0.77i (eigenvector condition number 1.9).
const A = [
  [-0.1, 1.0, 0.2, 0.0],
  [-1.0, -0.1, 0.0, 0.3],
  [0.0, 0.2, -0.3, 0.8],
  [0.1, 0.0, -0.8, -0.2],
];
const Y0 = [1, 0.5, -0.5, 0.25];

type Mat = number[][];
const matMul = (p: Mat, q: Mat): Mat =>
  p.map(
    (row) => q[0]?.map((_, j) => row.reduce((s, v, k) => s + v * ((q[k] as number[])[j] as number), 0)) as number[],
  );

/** `expm(M)` in float64: Taylor series (30 terms) after scaling by 2^-s, then s squarings. */
function expm(m: Mat): Mat {
  const norm = Math.max(...m.map((row) => row.reduce((s, v) => s + Math.abs(v), 0)));
  const s = Math.max(0, Math.ceil(Math.log2(norm / 0.25)));
  const scaled = m.map((row) => row.map((v) => v / 2 ** s));
  const n = m.length;
  const eye = (): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let term = eye();
  let sum = eye();
  for (let k = 1; k <= 30; k++) {
    term = matMul(term, scaled).map((row) => row.map((v) => v / k));
    sum = sum.map((row, i) => row.map((v, j) => v + ((term[i] as number[])[j] as number)));
  }
  for (let i = 0; i < s; i++) sum = matMul(sum, sum);
  return sum;
}

const scaleMat = (m: Mat, t: number): Mat => m.map((row) => row.map((v) => v * t));

/** The forcing `g(t) = U·[cos ωt, sin ωt]` of the non-autonomous variant. */
const OMEGA = 1.3;
const U = [
  [0.5, 0],
  [0, -0.4],
  [0.3, 0.2],
  [-0.2, 0.6],
];

/**
 * A test problem with its float64 exact solution. `linear`: y′ = A y, y(t) = expm(A t) y0.
 * `forced`: y′ = A y + g(t); with w = [cos ωt, sin ωt] (w′ = Ω w) the pair z = [y; w] solves
 * z′ = [[A, U], [0, Ω]] z, so y(t) is the top of expm(M t)·[y0; 1, 0].
 */
interface Problem {
  field: (t: number, y: tf.Tensor) => tf.Tensor;
  exact: (t: number) => number[];
}
const AT = tf.tensor2d(A[0]?.map((_, j) => A.map((row) => row[j] as number)) as number[][]);
const UT = tf.tensor2d(U[0]?.map((_, j) => U.map((row) => row[j] as number)) as number[][]);
/** `y Aᵀ` on `[..., 4]`. */
const linearPart = (y: tf.Tensor): tf.Tensor => tf.reshape(tf.matMul(tf.reshape(y, [-1, 4]), AT), y.shape);
const LINEAR: Problem = {
  field: (_t, y) => linearPart(y),
  exact: (t) => expm(scaleMat(A, t)).map((row) => row.reduce((s, v, j) => s + v * (Y0[j] as number), 0)),
};
const M: Mat = [...A.map((row, i) => [...row, ...(U[i] as number[])]), [0, 0, 0, 0, 0, -OMEGA], [0, 0, 0, 0, OMEGA, 0]];
const FORCED: Problem = {
  field: (t, y) =>
    tf.tidy(() => {
      const g = tf.matMul(tf.tensor2d([[Math.cos(OMEGA * t), Math.sin(OMEGA * t)]]), UT);
      return tf.add(linearPart(y), tf.reshape(g, [4]));
    }),
  exact: (t) => {
    const z0 = [...Y0, 1, 0];
    return expm(scaleMat(M, t))
      .slice(0, 4)
      .map((row) => row.reduce((s, v, j) => s + v * (z0[j] as number), 0));
  },
};

/** Max abs error over every step end (rows of `got`, flat `[n, 4]`) at times `ts`. */
function maxErr(p: Problem, ts: readonly number[], got: ArrayLike<number>): number {
  let worst = 0;
  ts.forEach((t, n) => {
    p.exact(t).forEach((v, i) => {
      worst = Math.max(worst, Math.abs((got[n * 4 + i] as number) - v));
    });
  });
  return worst;
}

/** Error at t1 of a constant-step solve on the host path (no tape). */
function hostError(p: Problem, solver: AbstractSolver, t1: number, dt: number): number {
  const y0 = tf.tensor1d(Y0);
  const sol = diffeqsolve({
    term: p.field,
    solver,
    t0: 0,
    t1,
    dt0: dt,
    y0,
    saveat: saveAt({ steps: true }),
    stepsizeController: constantStepSize(),
  });
  const err = maxErr(p, sol.ts, (sol.ys as tf.Tensor).dataSync());
  expect(sol.stats.numAcceptedSteps).toBe(Math.round(t1 / dt));
  sol.dispose();
  y0.dispose();
  return err;
}

/** The same on the tensor path: the solve runs under a gradient tape (direct adjoint). */
function tapeError(p: Problem, solver: AbstractSolver, t1: number, dt: number): number {
  const y0 = tf.tensor1d(Y0);
  let err = Number.NaN;
  let ySum = Number.NaN;
  const { value, grads } = valueAndGrad((q: { y0: tf.Tensor }) => {
    const sol = diffeqsolve({
      term: p.field,
      solver,
      t0: 0,
      t1,
      dt0: dt,
      y0: q.y0,
      saveat: saveAt({ steps: true }),
      adjoint: directAdjoint(),
    });
    err = maxErr(p, sol.ts, (sol.ys as tf.Tensor).dataSync());
    return tf.sum(sol.ys as tf.Tensor);
  })({ y0 });
  // The discrete solution is affine in y0: its gradient is the same for y0 and y0 + δ·e0, so
  // sum(y(t1; y0 + δ e0)) − sum(y(t1; y0)) = δ·grad[0]: a check that the tape saw the solve.
  const y0b = tf.tensor1d(Y0.map((v, i) => (i === 0 ? v + 0.5 : v)));
  const solB = diffeqsolve({ term: p.field, solver, t0: 0, t1, dt0: dt, y0: y0b, saveat: saveAt({ steps: true }) });
  ySum = tf.tidy(() => tf.sum(solB.ys as tf.Tensor).dataSync()[0] as number);
  const slope = (ySum - (value.dataSync()[0] as number)) / 0.5;
  expect(Math.abs(slope - (grads.y0.dataSync()[0] as number))).toBeLessThanOrEqual(1e-4);
  solB.dispose();
  y0b.dispose();
  value.dispose();
  grads.y0.dispose();
  y0.dispose();
  return err;
}

interface Case {
  solver: () => AbstractSolver;
  order: number;
  t1: number;
  dts: number[];
  slack: number;
}

const CASES: Record<string, Case> = {
  euler: { solver: euler, order: 1, t1: 2, dts: [1 / 20, 1 / 40, 1 / 80, 1 / 160], slack: 0.5 },
  heun: { solver: heun, order: 2, t1: 2, dts: [1 / 5, 1 / 10, 1 / 20, 1 / 40], slack: 0.5 },
  midpoint: { solver: midpoint, order: 2, t1: 2, dts: [1 / 5, 1 / 10, 1 / 20, 1 / 40], slack: 0.5 },
  ralston: { solver: ralston, order: 2, t1: 2, dts: [1 / 5, 1 / 10, 1 / 20, 1 / 40], slack: 0.5 },
  bosh3: { solver: bosh3, order: 3, t1: 2, dts: [1 / 2, 1 / 4, 1 / 8, 1 / 16], slack: 0.5 },
  rk4: { solver: rk4, order: 4, t1: 4, dts: [1, 0.8, 0.5, 0.4, 0.25], slack: 0.5 },
  // Tsit5 is order 5, but on linear problems its sixth-order coefficients for the tall tree
  // (b·A⁴·c·720 = 1.031) and the bushy tree (6·b·c⁵ = 0.9987) are within 3% of exact, so the
  // order-5 term only dominates for h·|λ| ≲ 0.05, far below float32's error floor: in the range
  // visible in float32 it converges with order 6 (checked against the tableau below).
  tsit5: { solver: tsit5, order: 6, t1: 8, dts: [1, 0.8, 2 / 3, 0.5, 0.4], slack: 0.5 },
  dopri5: { solver: dopri5, order: 5, t1: 8, dts: [1, 0.8, 2 / 3, 0.5, 0.4], slack: 0.5 },
  dopri8: { solver: dopri8, order: 8, t1: 16, dts: [4, 3.2, 8 / 3, 2, 1.6], slack: 1 },
};

function measure(p: Problem, c: Case, path: 'host' | 'tape'): void {
  const solver = c.solver();
  const errs = c.dts.map((dt) => (path === 'host' ? hostError : tapeError)(p, solver, c.t1, dt));
  const slope = empiricalOrder(c.dts, errs);
  expect(Math.min(...errs), 'errors stay above the float32 error floor').toBeGreaterThan(2e-6);
  expect(
    Math.abs(slope - c.order),
    `slope ${slope}, errors ${errs.map((e) => e.toExponential(2)).join(' ')}`,
  ).toBeLessThanOrEqual(c.slack);
}

describe('empirical convergence order against a float64 matrix-exponential solution', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`y′ = A y, ${name}, host path: slope within ±${c.slack} of ${c.order}`, () => measure(LINEAR, c, 'host'));
  }
  for (const [name, c] of Object.entries(CASES)) {
    it(`y′ = A y + g(t), ${name}, host path: slope within ±${c.slack} of ${c.order}`, () => measure(FORCED, c, 'host'));
  }
  for (const name of ['heun', 'rk4', 'dopri5', 'dopri8']) {
    const c = CASES[name] as Case;
    it(`y′ = A y, ${name}, tensor path under a tape: slope within ±${c.slack} of ${c.order}`, () =>
      measure(LINEAR, c, 'tape'));
  }
  it('tsit5 is nearly sixth order on linear problems (why its linear slope is 6)', () => {
    const { a, b, c } = TSIT5;
    const mv = (v: readonly number[]) => a.map((row) => row.reduce((s, x, j) => s + x * (v[j] as number), 0));
    const dot = (u: readonly number[], v: readonly number[]) => u.reduce((s, x, i) => s + x * (v[i] as number), 0);
    const tall = dot(b, mv(mv(mv(mv(c))))) * 720;
    const bushy =
      dot(
        b,
        c.map((x) => x ** 5),
      ) * 6;
    expect(tall).toBeGreaterThan(1.02);
    expect(tall).toBeLessThan(1.04);
    expect(Math.abs(bushy - 1)).toBeGreaterThan(1e-4);
    expect(Math.abs(bushy - 1)).toBeLessThan(2e-3);
  });
  for (const name of ['bosh3', 'tsit5']) {
    const c = CASES[name] as Case;
    it(`y′ = A y + g(t), ${name}, tensor path under a tape: slope within ±${c.slack} of ${c.order}`, () =>
      measure(FORCED, c, 'tape'));
  }
});

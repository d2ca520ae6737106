import { type FloatArray, portablePow } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type {
  AbstractSolver,
  HostDense,
  HostField,
  HostStepOutput,
  RowField,
  StepInput,
  StepOutput,
  StepTolerances,
} from '../solver.js';
import { luSolve } from './dense-lu.js';
import { failedHost } from './esdirk.js';
import { hermiteRows, hermiteWeights } from './hermite.js';
import { type HostFieldWithVjp, withoutTapeVjp } from './host-field-vjp.js';
import { type ImplicitOptions, resolveImplicitOptions } from './implicit-options.js';
import { NewtonMatrix } from './newton-matrix.js';
import type { RosenbrockTableau } from './rosenbrock-tableau.js';
import { type RosenbrockReplay, rosenbrockStepVjp } from './rosenbrock-vjp.js';

/**
 * Weights of the rows `[y0; y1 − y0; K_1; …; K_R]` of the stage dense output,
 * `y(t0 + θh) = y0 + θ(y1 − y0) + Σ_r θ^r(1 − θ)·K_r` (rodas.f's `CONTRO` for R = 2).
 */
function rodasDenseWeights(R: number) {
  return (theta: number, h: number, derivative: boolean): Float32Array => {
    const t = theta;
    const w = new Float32Array(2 + R);
    w[0] = derivative ? 0 : 1;
    w[1] = derivative ? 1 / h : t;
    // θ^r (1 − θ) and its derivative r θ^(r−1) − (r + 1) θ^r
    for (let r = 1; r <= R; r++)
      w[1 + r] = derivative
        ? (r * portablePow(t, r - 1) - (r + 1) * portablePow(t, r)) / h
        : portablePow(t, r) * (1 - t);
    return w;
  };
}

import { applyBlocks, hostViewOf, inverseTransposed } from './taped-field.js';

/** What a Rosenbrock step needs at `(t0, y0)`: the Jacobian (in `nm`) and `∂f/∂t`. */
interface Linearisation {
  readonly nm: NewtonMatrix;
  ft: Float64Array;
}

/**
 * A Rosenbrock solver from its tableau (Hairer & Wanner, *Solving ODEs II*, §IV.7): linearly
 * implicit, one LU factorisation of `I/(hγ) − J` and one field evaluation per stage, no Newton
 * iterations. The Jacobian is taken at each step's start (kept when a rejected step retries from
 * the same state), `∂f/∂t` by a central difference in `t` (two evaluations; none for a compiled
 * field without time in it, which is autonomous). Dense output from the
 * stages when the tableau has one (RODAS4: rodas.f's order-3 formula), else cubic Hermite through
 * `f(t1, y1)`; `f(t1, y1)` is also the next step's first stage.
 *
 * Gradients under a tape treat the Jacobian and `∂f/∂t` as constants of each step (the
 * derivative of the method with the Jacobian frozen, a W-method view), so they are exact only to
 * the method's order; use `kvaerno5()` for exact discrete gradients.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, rosenbrock, RODAS4, pidController } from '@odekit/solvers';
 * const sol = diffeqsolve({ term: (t, y: tf.Tensor) => tf.mul(-1000, tf.sub(y, Math.cos(t))),
 *   solver: rosenbrock(RODAS4), t0: 0, t1: 1, y0: tf.tensor1d([0]),
 *   stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }) });
 * if (Math.abs((sol.ys as tf.Tensor).dataSync()[0] - Math.cos(1)) > 1e-2) throw new Error('bad');
 * sol.dispose();
 * ```
 */
export function rosenbrock(tab: RosenbrockTableau, options: ImplicitOptions = {}): AbstractSolver {
  const o = resolveImplicitOptions(tab.name, options);
  const s = tab.m.length;
  const kept = new WeakMap<object, Linearisation>();
  const linearisationFor = (f: object, tol: StepTolerances | undefined, N: number): Linearisation => {
    const batch = tol?.batch ?? 1;
    const D = N / batch;
    let lin = kept.get(f);
    if (lin === undefined || lin.nm.blocks.batch !== batch || lin.nm.blocks.D !== D) {
      lin = { nm: new NewtonMatrix({ batch, D }, o.jacobian, true), ft: new Float64Array(N) };
      kept.set(f, lin);
    }
    return lin;
  };

  /** Jacobian and ∂f/∂t at (t0, y0) unless already taken there. */
  const linearise = (lin: Linearisation, f: HostFieldWithVjp, t0: number, y0: Float64Array, k0: Float64Array) => {
    const { nm } = lin;
    if (nm.freshAt(t0, y0)) return;
    nm.refresh(f, t0, y0, k0);
    // a field that does not depend on t (its compiled program has no time in it): ∂f/∂t = 0,
    // and the two evaluations are neither made nor counted
    if (f.autonomous === true) {
      lin.ft.fill(0);
      return;
    }
    // central difference (second order, so it does not cap the method's order), with steps
    // that float32 time (what a tfjs field sees) resolves exactly
    const want = Math.cbrt(2 ** -24) * Math.max(1, Math.abs(t0));
    const up = Math.fround(t0 + want) - Math.fround(t0);
    const down = Math.fround(t0) - Math.fround(t0 - want);
    const fp = f(t0 + up, y0);
    const fm = f(t0 - down, y0);
    nm.nfe += 2;
    for (let q = 0; q < y0.length; q++) lin.ft[q] = ((fp[q] as number) - (fm[q] as number)) / (up + down);
  };

  /** The stages on host arrays; `U` increments. Returns false when the matrix is singular. */
  const stages = (lin: Linearisation, f: HostField, t0: number, h: number, y0: Float64Array, k0: Float64Array) => {
    const { nm } = lin;
    const { batch, D } = nm.blocks;
    const N = y0.length;
    if (!nm.factor(1 / (h * tab.gamma), 1)) return undefined;
    const U: Float64Array[] = [];
    for (let i = 0; i < s; i++) {
      const a = tab.a[i] as readonly number[];
      const c = tab.c[i] as readonly number[];
      let fi: ArrayLike<number> = k0;
      if (i > 0) {
        const yi = Float64Array.from(y0);
        for (let j = 0; j < i; j++) {
          const w = a[j] as number;
          if (w === 0) continue;
          const uj = U[j] as Float64Array;
          for (let q = 0; q < N; q++) yi[q] = (yi[q] as number) + w * (uj[q] as number);
        }
        fi = f(t0 + (tab.alpha[i] as number) * h, yi);
        nm.nfe++;
      }
      const rhs = new Float64Array(N);
      const dh = h * (tab.d[i] as number);
      for (let q = 0; q < N; q++) rhs[q] = (fi[q] as number) + dh * (lin.ft[q] as number);
      for (let j = 0; j < i; j++) {
        const w = (c[j] as number) / h;
        const uj = U[j] as Float64Array;
        for (let q = 0; q < N; q++) rhs[q] = (rhs[q] as number) + w * (uj[q] as number);
      }
      for (let b = 0; b < batch; b++) luSolve(nm.lu, D, nm.piv, rhs, b * D * D, b * D, b * D);
      U.push(rhs);
    }
    return U;
  };

  const dense = tab.dense;
  /** The dense rows: `[y0; y1 − y0; K_1; …]` (the stage dense output), or the Hermite rows. */
  const denseRowsHost = (
    y0: Float64Array,
    y1: Float64Array,
    k0: ArrayLike<number>,
    f1: ArrayLike<number>,
    U: Float64Array[],
    h: number,
  ): HostDense => {
    if (dense === undefined) return hermiteRows(y0, y1, k0, f1, h);
    const N = y0.length;
    const dy = new Float64Array(N);
    for (let q = 0; q < N; q++) dy[q] = (y1[q] as number) - (y0[q] as number);
    const K = dense.map((row) => {
      const k = new Float64Array(N);
      for (let j = 0; j < s; j++) {
        const w = row[j] as number;
        if (w === 0) continue;
        const u = U[j] as Float64Array;
        for (let q = 0; q < N; q++) k[q] = (k[q] as number) + w * (u[q] as number);
      }
      return k;
    });
    return { y0, k: [dy, ...K] };
  };

  const stepHost = (
    f: HostField,
    t0: number,
    h: number,
    y0: Float64Array,
    f0: FloatArray | undefined,
    wantError: boolean,
    tol?: StepTolerances,
  ): HostStepOutput => {
    const N = y0.length;
    const lin = linearisationFor(f, tol, N);
    const { nm } = lin;
    let k0: Float64Array;
    if (f0 === undefined) {
      k0 = Float64Array.from(f(t0, y0));
      nm.nfe++;
    } else k0 = Float64Array.from(f0);
    linearise(lin, f as HostFieldWithVjp, t0, y0, k0);
    const U = stages(lin, f, t0, h, y0, k0);
    if (U === undefined) {
      const { nfe, ...implicitStats } = nm.takeStats();
      return failedHost(y0, k0, h, wantError, nfe, implicitStats);
    }
    const y1 = Float64Array.from(y0);
    const yError = wantError ? new Float64Array(N) : undefined;
    for (let j = 0; j < s; j++) {
      const uj = U[j] as Float64Array;
      const wm = tab.m[j] as number;
      const we = tab.mError[j] as number;
      for (let q = 0; q < N; q++) {
        y1[q] = (y1[q] as number) + wm * (uj[q] as number);
        if (yError !== undefined && we !== 0) yError[q] = (yError[q] as number) + we * (uj[q] as number);
      }
    }
    const f1 = f(t0 + h, y1);
    nm.nfe++;
    const { nfe, ...implicitStats } = nm.takeStats();
    return { y1, yError, dense: denseRowsHost(y0, y1, k0, f1, U, h), f1: f1.slice(), nfe, implicitStats };
  };

  const step = ({ f, t0, h, y0, f0, wantError, tol }: StepInput): StepOutput => {
    const N = y0.shape[1];
    const batch = tol?.batch ?? 1;
    const blocks = { batch, D: N / batch };
    const view = hostViewOf(f, N);
    const lin: Linearisation = { nm: new NewtonMatrix(blocks, o.jacobian, true), ft: new Float64Array(N) };
    const y0h = Float64Array.from(y0.dataSync());
    const k0h = Float64Array.from((f0 ?? f(t0, y0)).dataSync());
    // the Jacobian (exact VJP rows, each on its own tape) and ∂f/∂t are constants of the step
    linearise(lin, view, t0, y0h, k0h);
    const { nfe: nfeLin, ...implicitStats } = lin.nm.takeStats();
    let nfe = nfeLin;
    const invT = inverseTransposed(lin.nm.J, 1 / (h * tab.gamma), 1, blocks);
    const stats = { ...implicitStats, numLuFactorisations: 1 };
    if (invT === undefined) {
      const failed = failedHost(y0h, k0h, h, wantError, nfe, stats);
      return tf.tidy(() => ({
        y1: tf.tensor2d(Float32Array.from(failed.y1), [1, N]),
        yError: failed.yError && tf.tensor2d(Float32Array.from(failed.yError), [1, N]),
        dense: tf.concat([y0, tf.zeros([1 + (dense?.length ?? 2), N])], 0) as tf.Tensor2D,
        f1: undefined,
        nfe,
        implicitStats: stats,
      }));
    }
    try {
      return tf.tidy(() => {
        const k0 = f0 ?? f(t0, y0);
        nfe++;
        const ft = tf.tensor2d(Float32Array.from(lin.ft), [1, N]);
        const U: tf.Tensor2D[] = [];
        for (let i = 0; i < s; i++) {
          const a = tab.a[i] as readonly number[];
          const c = tab.c[i] as readonly number[];
          let yi: tf.Tensor2D = y0;
          for (let j = 0; j < i; j++)
            if (a[j] !== 0) yi = tf.add(yi, tf.mul(U[j] as tf.Tensor2D, a[j] as number)) as tf.Tensor2D;
          let rhs = i === 0 ? k0 : f(t0 + (tab.alpha[i] as number) * h, yi);
          if (i > 0) nfe++;
          const dh = h * (tab.d[i] as number);
          if (dh !== 0) rhs = tf.add(rhs, tf.mul(ft, dh)) as tf.Tensor2D;
          for (let j = 0; j < i; j++)
            rhs = tf.add(rhs, tf.mul(U[j] as tf.Tensor2D, (c[j] as number) / h)) as tf.Tensor2D;
          U.push(applyBlocks(rhs, invT, blocks));
        }
        let y1: tf.Tensor2D = y0;
        let yError: tf.Tensor2D | undefined;
        for (let j = 0; j < s; j++) {
          y1 = tf.add(y1, tf.mul(U[j] as tf.Tensor2D, tab.m[j] as number)) as tf.Tensor2D;
          const we = tab.mError[j] as number;
          if (wantError && we !== 0) {
            const term = tf.mul(U[j] as tf.Tensor2D, we) as tf.Tensor2D;
            yError = yError === undefined ? term : (tf.add(yError, term) as tf.Tensor2D);
          }
        }
        const f1 = f(t0 + h, y1);
        nfe++;
        let rows: tf.Tensor[];
        if (dense === undefined) rows = [y0, k0, f1, tf.div(tf.sub(y1, y0), h)];
        else {
          const Us = tf.concat(U, 0);
          rows = [y0, tf.sub(y1, y0), tf.matMul(tf.tensor2d(dense.flat(), [dense.length, s]), Us)];
        }
        const denseRows = tf.concat(rows, 0) as tf.Tensor2D;
        return { y1, yError, dense: denseRows, f1, nfe, implicitStats: stats };
      });
    } finally {
      invT.dispose();
    }
  };

  /** The stages recomputed at `(t0, y0)` with a fresh linearisation (the backward pass). */
  const replay: RosenbrockReplay = (f, t0, h, y0, batch) => {
    const lin: Linearisation = {
      nm: new NewtonMatrix({ batch, D: y0.length / batch }, o.jacobian, true),
      ft: new Float64Array(y0.length),
    };
    const k0 = Float64Array.from(f(t0, y0));
    // the Jacobian as the checkpointed forward pass took it (no taped VJPs there)
    linearise(lin, withoutTapeVjp(f), t0, y0, k0);
    return { U: stages(lin, f, t0, h, y0, k0), J: lin.nm.J };
  };
  const stepVjpHost = rosenbrockStepVjp(tab, replay);

  return Object.freeze({
    name: tab.name,
    order: tab.order,
    errorOrder: tab.errorOrder,
    implicit: true,
    ...(stepVjpHost === undefined ? {} : { stepVjpHost }),
    step,
    stepHost,
    completeDense: (_f: RowField, _t1: number, _out: StepOutput) => undefined,
    completeDenseHost: (_f: HostField, _t1: number, _out: HostStepOutput) => undefined,
    denseWeights: dense === undefined ? hermiteWeights : rodasDenseWeights(dense.length),
  });
}

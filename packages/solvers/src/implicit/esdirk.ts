import type { FloatArray } from '@odekit/core';
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
import { esdirkAttempt, newtonTolerances, SLOW_NEWTON_THETA } from './esdirk-core.js';
import type { EsdirkTableau } from './esdirk-tableau.js';
import { esdirkStepVjp } from './esdirk-vjp.js';
import { hermiteRows } from './hermite.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import { type ImplicitOptions, resolveImplicitOptions } from './implicit-options.js';
import { evaluateJacobian } from './jacobian.js';
import { NewtonMatrix } from './newton-matrix.js';
import { applyBlocks, hostViewOf, inverseTransposed, offTape } from './taped-field.js';

/** A failed step's error estimate: finite and huge, so the controller rejects and shrinks the step. */
const FAILED_ERROR = 1e30;

/**
 * An ESDIRK solver from its tableau: simplified Newton per stage with the Jacobian and LU
 * factorisation kept across stages and steps of a solve (see `esdirkAttempt`), dense output
 * from the stages (`EsdirkTableau.dense`), first-same-as-last for stiffly accurate tableaus.
 *
 * Gradients (tensor path, used under a gradient tape by every adjoint): Newton runs off the
 * tape; each stage then enters the tape once by the implicit function theorem,
 * `Y_i = Y*_i − (I − hγJ(Y*_i))⁻¹·(Y*_i − base_i − hγ f(t_i, Y*_i))` with `Y*_i` and the
 * Jacobian constants, whose derivative is `dY_i = (I − hγJ)⁻¹·(d base_i + hγ ∂f/∂θ dθ)` (a
 * transposed linear solve per stage in the backward pass); Newton's iterations are never
 * differentiated. The stage Jacobians come from the `jacobian` option (differences by default,
 * accurate to ~1e-4 relative in float32, which bounds the gradient's relative error likewise).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, esdirk, KVAERNO3, pidController } from '@odekit/solvers';
 * const sol = diffeqsolve({ term: (t, y: tf.Tensor) => tf.mul(-1000, tf.sub(y, Math.cos(t))),
 *   solver: esdirk(KVAERNO3), t0: 0, t1: 1, y0: tf.tensor1d([0]),
 *   stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }) });
 * if (Math.abs((sol.ys as tf.Tensor).dataSync()[0] - Math.cos(1)) > 1e-2) throw new Error('bad');
 * sol.dispose();
 * ```
 */
export function esdirk(tab: EsdirkTableau, options: ImplicitOptions = {}): AbstractSolver {
  const o = resolveImplicitOptions(tab.name, options);
  const s = tab.c.length;
  // one solve's Newton matrix per field (each solve makes its own field closure)
  const kept = new WeakMap<object, NewtonMatrix>();
  const matrixFor = (f: object, tol: StepTolerances | undefined, N: number): NewtonMatrix => {
    const batch = tol?.batch ?? 1;
    const D = N / batch;
    let nm = kept.get(f);
    if (nm === undefined || nm.blocks.batch !== batch || nm.blocks.D !== D) {
      nm = new NewtonMatrix({ batch, D }, o.jacobian, false);
      kept.set(f, nm);
    }
    return nm;
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
    const nm = matrixFor(f, tol, N);
    let k0: Float64Array;
    if (f0 === undefined) {
      k0 = Float64Array.from(f(t0, y0));
      nm.nfe++;
    } else k0 = Float64Array.from(f0);
    const run = esdirkAttempt(
      tab,
      o,
      f as HostFieldWithVjp,
      t0,
      h,
      y0,
      k0,
      newtonTolerances(tol, o),
      nm,
      !wantError,
      f0 === undefined,
    );
    const { nfe, ...implicitStats } = nm.takeStats();
    if (!run.ok) return { ...failedHost(y0, k0, h, wantError, nfe, implicitStats), dense: constantRows(y0, k0) };
    const { y1, yError } = combine(run.k, y0, h, wantError);
    const f1 = run.k[s - 1] as Float64Array;
    const dense: HostDense = { y0, k: run.k.map((k) => k.slice()) };
    const slow = (run.thetaMax ?? 0) > SLOW_NEWTON_THETA;
    return { y1, yError, dense, f1: f1.slice(), nfe, implicitStats, ...(slow ? { maxGrowth: 1 } : {}) };
  };

  const combine = (k: Float64Array[], y0: Float64Array, h: number, wantError: boolean) => {
    const N = y0.length;
    const y1 = Float64Array.from(y0);
    const yError = wantError ? new Float64Array(N) : undefined;
    for (let j = 0; j < s; j++) {
      const kj = k[j] as Float64Array;
      const wb = h * (tab.b[j] as number);
      const we = h * (tab.bError[j] as number);
      for (let q = 0; q < N; q++) {
        y1[q] = (y1[q] as number) + wb * (kj[q] as number);
        if (yError !== undefined) yError[q] = (yError[q] as number) + we * (kj[q] as number);
      }
    }
    return { y1, yError };
  };

  const step = ({ f, t0, h, y0, f0, wantError, tol }: StepInput): StepOutput => {
    const N = y0.shape[1];
    const batch = tol?.batch ?? 1;
    const blocks = { batch, D: N / batch };
    const view = hostViewOf(f, N);
    // a fresh Jacobian each taped step: the replay must not depend on an earlier pass's history
    const nm = new NewtonMatrix(blocks, o.jacobian === 'vjp' ? 'fd' : o.jacobian, false);
    const y0h = Float64Array.from(y0.dataSync());
    let k0h: Float64Array;
    if (f0 === undefined) {
      k0h = Float64Array.from(offTape(() => view(t0, y0h)));
      nm.nfe++;
    } else k0h = Float64Array.from(f0.dataSync());
    // Newton's iterations are constants to the tape: run them unrecorded (full Newton allowed at
    // once: a taped step replays a step the host pass accepted, with a fresh Jacobian)
    const run = offTape(() =>
      esdirkAttempt(tab, o, view, t0, h, y0h, k0h, newtonTolerances(tol, o), nm, true, f0 === undefined),
    );
    const { nfe: nfeNewton, ...implicitStats } = nm.takeStats();
    let nfe = nfeNewton;
    if (!run.ok) {
      const failed = failedHost(y0h, k0h, h, wantError, nfe, implicitStats);
      return tf.tidy(() => ({
        y1: tf.tensor2d(Float32Array.from(failed.y1), [1, N]),
        yError: failed.yError && tf.tensor2d(Float32Array.from(failed.yError), [1, N]),
        dense: tf.concat([y0, tf.zeros([s, N])], 0) as tf.Tensor2D,
        f1: undefined,
        nfe,
        implicitStats,
      }));
    }
    // Jacobians at the converged stage values (constants of the tape), by differences off the
    // tape: tfjs's per-call gradient overhead makes D VJPs per stage many times dearer
    const stageJ = offTape(() => {
      const out: Float64Array[] = [];
      for (let i = 1; i < s; i++) {
        const J = new Float64Array(batch * blocks.D * blocks.D);
        const Yi = run.Y[i] as Float64Array;
        const ti = t0 + (tab.c[i] as number) * h;
        const fi = view(ti, Yi);
        const option = o.jacobian === 'auto' ? 'fd' : o.jacobian;
        nfe += 1 + evaluateJacobian(option, false, view, ti, Yi, fi, blocks, J);
        out.push(J);
      }
      return out;
    });
    // (tensors made inside offTape's scope would not outlive it)
    const invT: (tf.Tensor3D | undefined)[] = [
      undefined,
      ...stageJ.map((J) => inverseTransposed(J, 1, h * tab.gamma, blocks)),
    ];
    try {
      return tf.tidy(() => {
        const k0 = f0 ?? f(t0, y0);
        if (f0 === undefined) nfe++;
        const ks: tf.Tensor2D[] = [k0];
        let rows = tf.concat([y0, k0], 0) as tf.Tensor2D;
        const hg = h * tab.gamma;
        let last: tf.Tensor2D = y0;
        for (let i = 1; i < s; i++) {
          const a = tab.a[i] as readonly number[];
          const w = new Float32Array(i + 1);
          w[0] = 1;
          for (let j = 0; j < i; j++) w[j + 1] = h * (a[j] as number);
          const base = tf.matMul(tf.tensor2d(w, [1, i + 1]), rows);
          const Ys = tf.tensor2d(Float32Array.from(run.Y[i] as Float64Array), [1, N]);
          const fs = f(t0 + (tab.c[i] as number) * h, Ys);
          nfe++;
          const G = tf.sub(tf.sub(Ys, base), tf.mul(fs, hg)) as tf.Tensor2D;
          const inv = invT[i];
          if (inv === undefined) throw new Error(`${tab.name}: I − hγJ is singular at a converged stage.`);
          const Y = tf.sub(Ys, applyBlocks(G, inv, blocks)) as tf.Tensor2D;
          const k = tf.div(tf.sub(Y, base), hg) as tf.Tensor2D;
          ks.push(k);
          rows = tf.concat([rows, k], 0) as tf.Tensor2D;
          last = Y;
        }
        const wb = new Float32Array(s + 1);
        wb[0] = 1;
        for (let j = 0; j < s; j++) wb[j + 1] = h * (tab.b[j] as number);
        const y1: tf.Tensor2D = tab.stifflyAccurate ? last : tf.matMul(tf.tensor2d(wb, [1, s + 1]), rows);
        let yError: tf.Tensor2D | undefined;
        if (wantError) {
          const we = new Float32Array(s + 1);
          for (let j = 0; j < s; j++) we[j + 1] = h * (tab.bError[j] as number);
          yError = tf.matMul(tf.tensor2d(we, [1, s + 1]), rows);
        }
        const f1 = ks[s - 1] as tf.Tensor2D;
        const dense = tf.concat([y0, ...ks], 0) as tf.Tensor2D;
        return { y1, yError, dense, f1: tab.stifflyAccurate ? f1 : undefined, nfe, implicitStats };
      });
    } finally {
      for (const t of invT) t?.dispose();
    }
  };

  const stepVjpHost = esdirkStepVjp(tab, o);

  return Object.freeze({
    name: tab.name,
    order: tab.order,
    errorOrder: tab.errorOrder,
    implicit: true,
    stepVjpHost,
    step,
    stepHost,
    completeDense: (_f: RowField, _t1: number, _out: StepOutput) => undefined,
    completeDenseHost: (_f: HostField, _t1: number, _out: HostStepOutput) => undefined,
    denseWeights: (theta: number, h: number, derivative: boolean) => stageDenseWeights(tab, theta, h, derivative),
  });
}

/** A failed step's dense rows `[y0; k_0 …]` (interpolating to `y0 + θh·k_0`; never saved from). */
function constantRows(y0: Float64Array, k0: ArrayLike<number>): HostDense {
  return { y0, k: [Float32Array.from(k0)] };
}

/**
 * Weights of the dense rows `[y0; k_0; …; k_{s−1}]`: `y(t0 + θh) = y0 + h·Σ_j b_j(θ)·k_j` with
 * the tableau's polynomials `b_j` (`dy/dt = Σ_j b_j'(θ)·k_j`).
 */
export function stageDenseWeights(tab: EsdirkTableau, theta: number, h: number, derivative: boolean): Float32Array {
  const s = tab.c.length;
  const w = new Float32Array(s + 1);
  w[0] = derivative ? 0 : 1;
  for (let j = 0; j < s; j++) {
    const row = tab.dense[j] as readonly number[];
    let acc = 0;
    let p = 1;
    for (let m = 0; m < row.length; m++) {
      // θ^(m+1), or its derivative (m+1)·θ^m
      acc += (row[m] as number) * (derivative ? (m + 1) * p : p * theta);
      p *= theta;
    }
    w[j + 1] = derivative ? acc : h * acc;
  }
  return w;
}

/** A failed step: the state unchanged, a huge finite error (adaptive) or NaN (constant steps, ends the solve). */
export function failedHost(
  y0: Float64Array,
  k0: ArrayLike<number>,
  h: number,
  wantError: boolean,
  nfe: number,
  implicitStats: HostStepOutput['implicitStats'],
): HostStepOutput {
  const N = y0.length;
  const y1 = wantError ? Float64Array.from(y0) : new Float64Array(N).fill(Number.NaN);
  const yError = wantError ? new Float64Array(N).fill(FAILED_ERROR) : undefined;
  return {
    y1,
    yError,
    dense: hermiteRows(y0, y0, k0, k0, h),
    f1: undefined,
    nfe,
    ...(implicitStats ? { implicitStats } : {}),
  };
}

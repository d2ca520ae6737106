import type { FloatArray } from '@odekit/core';
import { tapeIsRecording } from '@odekit/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import type {
  AbstractSolver,
  HostField,
  HostStepOutput,
  RowField,
  StepInput,
  StepOutput,
  StepTolerances,
} from '../solver.js';
import type { HostFieldWithVjp } from './host-field-vjp.js';
import { type ImplicitOptions, resolveImplicitOptions } from './implicit-options.js';
import { RadauState, radauAttempt, radauDenseWeights } from './radau-core.js';
import { hostViewOf } from './taped-field.js';

/** RADAU5's default cap on Newton iterations per step (SciPy's `NEWTON_MAXITER`). */
const DEFAULT_NEWTON_ITERATIONS = 6;

/**
 * RADAU5: the Radau IIA method of order 5 (3 stages, collocation at `c = ((4 ∓ √6)/10, 1)`,
 * stiffly accurate, L-stable), after Hairer & Wanner, *Solving ODEs II* (2nd ed., Springer
 * 1996), §IV.8, and Hairer's radau5.f (see `radauAttempt` for the algorithm): simplified Newton
 * on the 3-stage system with the Jacobian kept across steps (the `jacobian` option as the other
 * implicit solvers: `'auto'` takes exact VJP rows of a compiled field, else differences), RADAU5's
 * order-3 error estimate with its `(I − hγJ)⁻¹` filter, and RADAU5's own step-size rule
 * (Gustafsson's predictive controller, a safety factor that falls with the Newton iterations):
 * with an adaptive controller, `radau5` takes only its tolerances, `dtmin`/`dtmax` and
 * `stepTs`/`jumpTs` from it. Dense output (saveAt) from the collocation polynomial through
 * `y0` and the three stages.
 *
 * Linear algebra: one dense real LU of the `3D × 3D` Newton matrix `A⁻¹/h ⊗ I − I ⊗ J` per sample
 * on plain arrays (not Hairer's transformation to one real and one complex `D × D` system): fine
 * for the small systems odekit targets (cost `(3D)³/3` per factorisation), plus one `D × D` LU of
 * `γ0/h·I − J` for the error estimate.
 *
 * Gradients: not yet available. Under a gradient tape (any adjoint that records one) it throws;
 * use {@link rodas5p} or {@link kvaerno5} to differentiate a stiff solve.
 *
 * `maxNewtonIterations` defaults to 6 here (RADAU5's 7, SciPy's 6).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, radau5, pidController } from '@odekit/solvers';
 * const sol = diffeqsolve({ term: (t, y: tf.Tensor) => tf.mul(-1000, tf.sub(y, Math.cos(t))),
 *   solver: radau5(), t0: 0, t1: 1, y0: tf.tensor1d([0]),
 *   stepsizeController: pidController({ rtol: 1e-4, atol: 1e-6 }) });
 * if (Math.abs((sol.ys as tf.Tensor).dataSync()[0] - Math.cos(1)) > 1e-3) throw new Error('bad');
 * sol.dispose();
 * ```
 */
export function radau5(options: ImplicitOptions = {}): AbstractSolver {
  const o = resolveImplicitOptions('radau5', options);
  const maxIter = options.maxNewtonIterations ?? DEFAULT_NEWTON_ITERATIONS;
  const kept = new WeakMap<object, RadauState>();
  const stateFor = (f: object, tol: StepTolerances | undefined, N: number): RadauState => {
    const batch = tol?.batch ?? 1;
    const D = N / batch;
    let st = kept.get(f);
    if (st === undefined || st.batch !== batch || st.D !== D) {
      st = new RadauState(batch, D, o);
      kept.set(f, st);
    }
    return st;
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
    const st = stateFor(f, tol, y0.length);
    const out = radauAttempt(st, o, maxIter, f as HostFieldWithVjp, t0, h, y0, f0, wantError, tol, y0);
    st.lastKey1 = out.y1;
    const { y1, yError, dense, f1, nfe, implicitStats, nextStep } = out;
    return { y1, yError, dense, f1, nfe, implicitStats, ...(nextStep === undefined ? {} : { nextStep }) };
  };

  const step = ({ f, t0, h, y0, f0, wantError, tol }: StepInput): StepOutput => {
    if (tapeIsRecording()) {
      throw new Error(
        'radau5: gradients through radau5 are not implemented yet (a gradient tape is recording); ' +
          'use rodas5p() or kvaerno5() to differentiate a stiff solve.',
      );
    }
    const N = y0.shape[1];
    const st = stateFor(f, tol, N);
    const view = hostViewOf(f, N);
    const y0h = Float64Array.from(y0.dataSync());
    const f0h = f0 === undefined ? undefined : Float64Array.from(f0.dataSync());
    const out = radauAttempt(st, o, maxIter, view, t0, h, y0h, f0h, wantError, tol, y0);
    const res = tf.tidy(() => {
      const row = (v: ArrayLike<number>) => tf.tensor2d(Float32Array.from(v), [1, N]);
      return {
        y1: row(out.y1),
        yError: out.yError === undefined ? undefined : row(out.yError),
        dense: tf.tensor2d(Float32Array.from([...y0h, ...out.dense.k.flatMap((k) => Array.from(k))]), [4, N]),
        f1: out.f1 === undefined ? undefined : row(out.f1),
      };
    });
    st.lastKey1 = res.y1;
    const { nfe, implicitStats, nextStep } = out;
    return { ...res, nfe, implicitStats, ...(nextStep === undefined ? {} : { nextStep }) };
  };

  return Object.freeze({
    name: 'radau5',
    order: 5,
    errorOrder: 3,
    implicit: true,
    step,
    stepHost,
    completeDense: (_f: RowField, _t1: number, _out: StepOutput) => undefined,
    completeDenseHost: (_f: HostField, _t1: number, _out: HostStepOutput) => undefined,
    denseWeights: radauDenseWeights,
  });
}

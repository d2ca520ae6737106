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
import { FIXED_STEP_NEWTON_ITERATIONS, RadauState, radauAttempt, radauDenseWeights } from './radau-core.js';
import { stageInverseTransposed, stageMatrix } from './radau-stage-matrix.js';
import { RADAU_A, RADAU_C } from './radau-tableau.js';
import { radauStepVjp } from './radau-vjp.js';
import { hostViewOf, offTape } from './taped-field.js';

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
 * Gradients by the implicit function theorem, never through Newton's iterations: the direct
 * adjoint (and any taped solve) records each step once as `Z = Z* − M⁻¹·G(Z*)` with the converged
 * stages `Z*` and `M = I − h(A ⊗ I)·blockdiag(J_i)` constants (`J_i` the stage Jacobians: by
 * differences with `'auto'`, accurate to ~1e-4 relative for a float32 field, which bounds the
 * gradient's error likewise; exact rows with `jacobian: 'vjp'`, many times slower on the tape);
 * `recursiveCheckpointAdjoint()` runs the same derivative on host arrays (one transposed `3D × 3D`
 * solve per step, exact VJP rows where the field has host kernels, a field VJP per stage), the
 * faster and more exact choice.
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

  /** Tape-free tensor step (backends without the host path): the host algorithm on read-back values. */
  const plainStep = ({ f, t0, h, y0, f0, wantError, tol }: StepInput): StepOutput => {
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

  /**
   * Taped step (every adjoint that records a tape): the stages are solved off the tape from the
   * step's start with a fresh Jacobian, then enter the tape once by the implicit function theorem,
   * `Z = Z* − M⁻¹·(Z* − h(A ⊗ I)·F(y0 + Z*))` with `Z*` and `M = I − h(A ⊗ I)·blockdiag(J_i)`
   * (the stage Jacobians at the converged stages) constants: its value is `Z*` (to the Newton
   * tolerance) and its derivative `dZ = M⁻¹·h(A ⊗ I)·(J dy0 + ∂F/∂θ dθ)`, the exact derivative of
   * the stage equations. Newton's iterations are never differentiated.
   */
  const tapedStep = ({ f, t0, h, y0, wantError, tol }: StepInput): StepOutput => {
    const N = y0.shape[1];
    const batch = tol?.batch ?? 1;
    const D = N / batch;
    const n3 = 3 * D;
    const view = hostViewOf(f, N);
    const y0h = Float64Array.from(y0.dataSync());
    const st = new RadauState(batch, D, o);
    // (inside offTape's customGrad forward a taped VJP records nothing: Newton's Jacobian by differences)
    const plainView = (t: number, y: Float64Array) => view(t, y);
    const run = offTape(() =>
      radauAttempt(st, o, FIXED_STEP_NEWTON_ITERATIONS, plainView, t0, h, y0h, undefined, wantError, tol, y0h),
    );
    let nfe = run.nfe;
    const implicitStats = run.implicitStats;
    const Zs = run.Z;
    if (!run.ok || Zs === undefined) {
      const t = tf.tidy(() => ({
        y1: tf.tensor2d(Float32Array.from(run.y1), [1, N]),
        yError: run.yError && tf.tensor2d(Float32Array.from(run.yError), [1, N]),
        dense: tf.concat([y0, tf.zeros([3, N])], 0) as tf.Tensor2D,
      }));
      return {
        ...t,
        f1: undefined,
        nfe,
        implicitStats,
        ...(run.nextStep === undefined ? {} : { nextStep: run.nextStep }),
      };
    }
    // Stage Jacobians by differences off the tape ('auto'; a taped VJP row per component costs
    // ~25 ms each there, 40× a difference column), by VJP rows with 'vjp' (outside offTape: inside
    // a customGrad forward they record nothing), or the user's.
    const option = o.jacobian === 'auto' ? 'fd' : o.jacobian;
    const { M, nfe: nfeJ } =
      option === 'vjp'
        ? stageMatrix(option, view, t0, h, y0h, Zs, batch)
        : offTape(() => stageMatrix(option, plainView, t0, h, y0h, Zs, batch));
    nfe += nfeJ;
    const invT = stageInverseTransposed(M, batch, n3);
    if (invT === undefined) throw new Error(`radau5: I − h(A ⊗ I)J is singular at converged stages (t = ${t0}).`);
    const t = tf.tidy(() => {
      const zc = Zs.map((z) => tf.tensor2d(Float32Array.from(z), [1, N]));
      const F = zc.map((z, i) => f(t0 + (RADAU_C[i] as number) * h, tf.add(y0, z) as tf.Tensor2D));
      nfe += 3;
      const G = zc.map((z, i) => {
        let g: tf.Tensor = z;
        for (let j = 0; j < 3; j++) {
          g = tf.sub(g, tf.mul(F[j] as tf.Tensor2D, h * ((RADAU_A[i] as readonly number[])[j] as number)));
        }
        return tf.reshape(g, [batch, 1, D]);
      });
      const delta = tf.matMul(tf.concat(G, 2), tf.tensor3d(Float32Array.from(invT), [batch, n3, n3]));
      const Z = [0, 1, 2].map(
        (i) =>
          tf.sub(
            zc[i] as tf.Tensor2D,
            tf.reshape(tf.slice(delta, [0, 0, i * D], [batch, 1, D]), [1, N]),
          ) as tf.Tensor2D,
      );
      const y1 = tf.add(y0, Z[2] as tf.Tensor2D) as tf.Tensor2D;
      const f1 = f(t0 + h, y1);
      nfe++;
      const yError = run.yError === undefined ? undefined : tf.tensor2d(Float32Array.from(run.yError), [1, N]);
      const dense = tf.concat([y0, ...Z], 0) as tf.Tensor2D;
      return { y1, yError, dense, f1 };
    });
    return { ...t, nfe, implicitStats, ...(run.nextStep === undefined ? {} : { nextStep: run.nextStep }) };
  };

  const step = (input: StepInput): StepOutput => (tapeIsRecording() ? tapedStep(input) : plainStep(input));
  const stepVjpHost = radauStepVjp(o);

  return Object.freeze({
    name: 'radau5',
    order: 5,
    errorOrder: 3,
    implicit: true,
    stepVjpHost,
    step,
    stepHost,
    completeDense: (_f: RowField, _t1: number, _out: StepOutput) => undefined,
    completeDenseHost: (_f: HostField, _t1: number, _out: HostStepOutput) => undefined,
    denseWeights: radauDenseWeights,
  });
}

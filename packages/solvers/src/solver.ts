import type { FloatArray } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { ButcherTableau } from './runge-kutta/tableau.js';

/** The vector field as the solver sees it: time and a packed state row `[1, N]` → row `[1, N]`. */
export type RowField = (t: number, y: tf.Tensor2D) => tf.Tensor2D;

/**
 * The vector field on host memory: time and a flat state (sample-major, length N) → flat
 * derivative. Used for tape-free solves on the cpu and wasm backends.
 */
export type HostField = (t: number, y: Float64Array) => FloatArray;

/** A tape-free step's result on host memory (float64 combinations of float32 stage values). */
export interface HostStepOutput {
  readonly y1: Float64Array;
  readonly yError: Float64Array | undefined;
  /** The state at t0 and the stage values (plus f(t1, y1) once completed): the dense rows. */
  readonly dense: HostDense;
  readonly f1: FloatArray | undefined;
  readonly nfe: number;
  /** Implicit solvers: the Jacobian evaluations, LU factorisations and Newton iterations made. */
  readonly implicitStats?: ImplicitStepStats;
  /**
   * Implicit solvers: a cap on the next step's growth, `|h_next| ≤ maxGrowth·|h|`, applied after
   * the controller when the step is accepted (say 1 when Newton converged slowly, so that the
   * next, larger step does not fail Newton; Hairer & Wanner, *Solving ODEs II*, §IV.8).
   */
  readonly maxGrowth?: number;
  /**
   * A solver with its own step-size rule (radau5: RADAU5's): the magnitude of the next step,
   * used instead of the adaptive controller's proposal after this step (accepted or rejected);
   * the controller's `dtmin`/`dtmax` still apply.
   */
  readonly nextStep?: number;
}

/** What an implicit solver's step did besides evaluating the field (summed into the stats). */
export interface ImplicitStepStats {
  readonly numJacobianEvals: number;
  readonly numLuFactorisations: number;
  readonly numNewtonIterations: number;
}

/**
 * The step-size controller's tolerances and the batch size, passed to each step: implicit
 * solvers scale their Newton convergence test with them and solve per sample.
 */
export interface StepTolerances {
  readonly rtol: number;
  readonly atol: number;
  /** Samples in the packed state (leading batch axis); the state is sample-major. */
  readonly batch: number;
}

/** Dense rows on host memory: `[y0; k_1; …]`. */
export interface HostDense {
  readonly y0: Float64Array;
  readonly k: readonly FloatArray[];
}

/** Inputs of one solver step from `t0` to `t0 + h` (h may be negative). */
export interface StepInput {
  readonly f: RowField;
  readonly t0: number;
  readonly h: number;
  /** The state at `t0`, a row `[1, N]`. */
  readonly y0: tf.Tensor2D;
  /** `f(t0, y0)` when already known (first same as last), else undefined. */
  readonly f0: tf.Tensor2D | undefined;
  /** Whether an error estimate is wanted (adaptive step size). */
  readonly wantError: boolean;
  /** The controller's tolerances and the batch size (implicit solvers use them). */
  readonly tol?: StepTolerances;
}

/** What one solver step returns; every tensor is owned by the caller. */
export interface StepOutput {
  /** The state at `t0 + h`, `[1, N]`. */
  readonly y1: tf.Tensor2D;
  /** The local error estimate `[1, N]`, when asked for and available. */
  readonly yError: tf.Tensor2D | undefined;
  /** Dense information: rows `[y0; h-free stage values …]`, see {@link AbstractSolver.denseWeights}. */
  readonly dense: tf.Tensor2D;
  /** `f(t0 + h, y1)` when the method computed it (FSAL), else undefined. */
  readonly f1: tf.Tensor2D | undefined;
  /** Vector-field evaluations made. */
  readonly nfe: number;
  /** Implicit solvers: the Jacobian evaluations, LU factorisations and Newton iterations made. */
  readonly implicitStats?: ImplicitStepStats;
  /**
   * A solver with its own step-size rule (radau5: RADAU5's): the magnitude of the next step,
   * used instead of the adaptive controller's proposal (as on the host step).
   */
  readonly nextStep?: number;
}

/**
 * A solver as the integrate loop drives it. Explicit Runge–Kutta methods implement it with one
 * generic step; implicit methods can implement the same interface (their `step` may solve
 * nonlinear systems internally) without changing the loop.
 */
export interface AbstractSolver {
  readonly name: string;
  /** Order of the solution. */
  readonly order: number;
  /** The Butcher tableau, for explicit Runge–Kutta methods (the checkpointed adjoint uses it). */
  readonly tableau?: ButcherTableau;
  /** Order of the local error estimate; undefined when the method has none. */
  readonly errorOrder: number | undefined;
  /** Set by implicit (stiff) solvers. */
  readonly implicit?: boolean;
  /**
   * Implicit solvers with a host backward pass: the checkpointed adjoint uses it (see
   * `ImplicitStepVjp` in `implicit/implicit-adjoint.ts`).
   */
  readonly stepVjpHost?: import('./implicit/implicit-adjoint.js').ImplicitStepVjp;
  /** Makes one step. Must not dispose its inputs. */
  step(input: StepInput): StepOutput;
  /**
   * Completes the dense information of an accepted step when `denseWeights` needs `f(t1, y1)`
   * (non-FSAL methods with Hermite output): returns the new dense rows and `f1`, or undefined if
   * the dense rows are already complete. Disposes nothing.
   */
  completeDense(
    f: RowField,
    t1: number,
    out: StepOutput,
  ): { dense: tf.Tensor2D; f1: tf.Tensor2D; nfe: number } | undefined;
  /**
   * Optional tape-free step on host memory, numerically the same method as `step` (the
   * stage combinations are done in float64). The loop uses it when no gradient tape is
   * recording and the backend keeps tensors in host memory (cpu, wasm): then only the vector
   * field runs tensor ops, which removes most of the per-op overhead of small systems.
   */
  stepHost?(
    f: HostField,
    t0: number,
    h: number,
    y0: Float64Array,
    f0: FloatArray | undefined,
    wantError: boolean,
    tol?: StepTolerances,
  ): HostStepOutput;
  /** Host counterpart of `completeDense`. */
  completeDenseHost?(
    f: HostField,
    t1: number,
    out: HostStepOutput,
  ): { dense: HostDense; f1: FloatArray; nfe: number } | undefined;
  /**
   * Weights `w` (length = rows of `dense`) such that `y(t0 + θh) = w · dense` (or, with
   * `derivative`, `dy/dt(t0 + θh) = w · dense`).
   */
  denseWeights(theta: number, h: number, derivative: boolean): Float32Array;
  /**
   * Optional: the first `r` values of `denseWeights(theta, h, false)` written into `out` from
   * `at`, without allocating (the integrate loop asks for one row per saved time).
   */
  denseWeightsInto?(out: Float32Array, at: number, r: number, theta: number, h: number): void;
}

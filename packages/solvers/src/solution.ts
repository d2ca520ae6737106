import { disposeTree, type Tree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { tapeIsRecording } from './loop-storage.js';
import type { StateLayout } from './packing.js';
import { unpackRows } from './packing.js';
import type { AbstractSolver } from './solver.js';

/** Why a solve stopped. */
export type SolveResult = 'successful' | 'max_steps_reached' | 'dt_min_reached' | 'nonfinite';

/** Counters of a solve. */
export interface SolveStats {
  numSteps: number;
  numAcceptedSteps: number;
  numRejectedSteps: number;
  numFnEvals: number;
  /** Implicit solvers only: Jacobian evaluations (each also counts its field evaluations in `numFnEvals`). */
  numJacobianEvals?: number;
  /** Implicit solvers only: LU factorisations of the Newton (or Rosenbrock) matrix. */
  numLuFactorisations?: number;
  /** Implicit solvers only: Newton iterations over all stages and steps. */
  numNewtonIterations?: number;
  /**
   * Present when the solve left its fast path where it could have taken it: why, each reason
   * once (a field with a host implementation or from `compileField` that could not open, a checkpointed
   * adjoint that recorded the full tape).
   */
  fallbacks?: string[];
}

/**
 * One accepted step's dense information (kept only with `saveAt({ dense: true })`). A solve that
 * accepts no step (`t0 === t1`, or a failure at the first step) keeps one step with `h = 0` and
 * rows `[y0; f(t0, y0)]`, so `evaluate(t0)` and `derivative(t0)` still answer.
 */
export interface DenseStep {
  readonly t0: number;
  readonly h: number;
  readonly rows: tf.Tensor2D;
}

/**
 * The result of {@link diffeqsolve}. You own its tensors: call `dispose()` when done.
 *
 * `ts` are the saved times (float64), `ys` the saved states (each leaf `[nSaved, ...leafShape]`),
 * `stats` the step counters, `result` why the solve stopped; with `saveAt({ dense: true })`,
 * `evaluate(t)` and `derivative(t)` give the dense solution (leaves shaped like `y0`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, tsit5, saveAt, pidController } from '@odekit/solvers';
 * const sol = diffeqsolve({ term: (t, y: tf.Tensor) => tf.neg(y), solver: tsit5(), t0: 0, t1: 2,
 *   y0: tf.tensor1d([1]), saveat: saveAt({ ts: [1, 2], dense: true }),
 *   stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }) });
 * const mid = sol.evaluate(0.5) as tf.Tensor;
 * if (sol.result !== 'successful' || sol.ts.length !== 2) throw new Error('bad');
 * if (Math.abs(mid.dataSync()[0] - Math.exp(-0.5)) > 1e-5) throw new Error('bad');
 * mid.dispose();
 * sol.dispose();
 * ```
 */
export class Solution<Y extends Tree<tf.Tensor> = Tree<tf.Tensor>> {
  /** Saved times (float64); with `saveAt({ sampleTs })` sample by sample, each sample's in order. */
  readonly ts: number[];
  /**
   * Saved states: each leaf `[nSaved, ...leafShape]`; with `saveAt({ sampleTs })` each leaf is
   * `[nSaved, ...sampleShape]` (the leaf's shape without its batch axis), sample by sample.
   */
  readonly ys: Y;
  /**
   * With `saveAt({ sampleTs })`: sample `b`'s saved values are rows `sampleOffsets[b] ..
   * sampleOffsets[b + 1] - 1` of every leaf (fewer than asked for when the solve stopped early);
   * otherwise undefined.
   */
  readonly sampleOffsets: Int32Array | undefined;
  readonly stats: SolveStats;
  readonly result: SolveResult;
  /** @internal */
  readonly denseSteps: readonly DenseStep[];
  /** @internal */
  private readonly layout: StateLayout;
  /** @internal */
  private readonly solver: AbstractSolver;
  /** @internal */
  private readonly denseDetached: boolean;
  private disposed = false;

  /** @internal */
  constructor(init: {
    ts: number[];
    ys: Y;
    stats: SolveStats;
    result: SolveResult;
    denseSteps: DenseStep[];
    layout: StateLayout;
    solver: AbstractSolver;
    denseDetached?: boolean;
    sampleOffsets?: Int32Array | undefined;
  }) {
    this.ts = init.ts;
    this.sampleOffsets = init.sampleOffsets;
    this.ys = init.ys;
    this.stats = init.stats;
    this.result = init.result;
    this.denseSteps = init.denseSteps;
    this.layout = init.layout;
    this.solver = init.solver;
    this.denseDetached = init.denseDetached ?? false;
  }

  /**
   * The dense solution at time `t` (a tree shaped like `y0`). Needs `saveAt({ dense: true })`.
   *
   * Differentiable only under `directAdjoint()`: the checkpointed and backsolve adjoints make
   * the dense output off the tape, so calling this while a gradient tape records throws
   * (differentiate `saveAt({ ts })` outputs instead).
   *
   * @throws Error when there is no dense output, `t` lies outside the solved interval, or a
   *   gradient tape records and the adjoint's dense output carries no gradient.
   */
  evaluate(t: number): Y {
    return this.interpolate(t, false, 'evaluate');
  }

  /** The time derivative of the dense solution at `t`, ≈ `f(t, evaluate(t), args)`. */
  derivative(t: number): Y {
    return this.interpolate(t, true, 'derivative');
  }

  /** Disposes every tensor of the solution (saved values and dense output). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeTree(this.ys);
    for (const s of this.denseSteps) s.rows.dispose();
  }

  private interpolate(t: number, derivative: boolean, fn: string): Y {
    if (this.disposed) throw new Error(`Solution.${fn}: the solution was disposed.`);
    if (this.denseDetached && tapeIsRecording()) {
      throw new Error(
        `Solution.${fn}: under a gradient tape the dense output of this adjoint carries no gradient (it would silently be zero); save the times you need with saveAt({ ts }) and differentiate sol.ys, or use directAdjoint().`,
      );
    }
    const steps = this.denseSteps;
    if (steps.length === 0) {
      throw new Error(`Solution.${fn}: no dense output; solve with saveAt({ dense: true }).`);
    }
    const first = steps[0] as DenseStep;
    if (first.h === 0) {
      const tol0 = 1e-12 * Math.max(1, Math.abs(first.t0));
      if (!(Math.abs(t - first.t0) <= tol0)) {
        throw new Error(`Solution.${fn}: t = ${t} is outside the solved interval [${first.t0}, ${first.t0}].`);
      }
      return tf.tidy(() => {
        const row = tf.slice(first.rows, [derivative ? 1 : 0, 0], [1, -1]);
        return unpackRows(this.layout, row, null) as tf.TensorContainer;
      }) as Y;
    }
    const last = steps[steps.length - 1] as DenseStep;
    const dir = Math.sign(first.h);
    const lo = first.t0;
    const hi = last.t0 + last.h;
    const tol = 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi));
    if (!Number.isFinite(t) || (t - lo) * dir < -tol || (t - hi) * dir > tol) {
      throw new Error(`Solution.${fn}: t = ${t} is outside the solved interval [${lo}, ${hi}].`);
    }
    // binary search for the step containing t
    let a = 0;
    let b = steps.length - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      const s = steps[m] as DenseStep;
      if ((t - (s.t0 + s.h)) * dir > 0) a = m + 1;
      else b = m;
    }
    const s = steps[a] as DenseStep;
    const theta = Math.min(1, Math.max(0, (t - s.t0) / s.h));
    const w = this.solver.denseWeights(theta, s.h, derivative);
    return tf.tidy(() => {
      const row = tf.matMul(tf.tensor2d(w.subarray(0, s.rows.shape[0]), [1, s.rows.shape[0]]), s.rows);
      return unpackRows(this.layout, row, null) as tf.TensorContainer;
    }) as Y;
  }
}

/**
 * The error a failed solve throws when `throwOnFailure` is true; it carries the partial solution
 * (`error.solution`, which you own), the `result` code and the `stats`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, rk4, saveAt, SolveError } from '@odekit/solvers';
 * try {
 *   diffeqsolve({ term: (t, y: tf.Tensor) => tf.neg(y), solver: rk4(), t0: 0, t1: 1, dt0: 0.01,
 *     y0: tf.tensor1d([1]), saveat: saveAt({ steps: true }), maxSteps: 10 });
 *   throw new Error('expected a SolveError');
 * } catch (e) {
 *   if (!(e instanceof SolveError) || e.result !== 'max_steps_reached') throw e;
 *   if (e.solution.ts.length !== 10 || e.stats.numSteps !== 10) throw new Error('bad');
 *   e.solution.dispose();
 * }
 * ```
 */
export class SolveError<Y extends Tree<tf.Tensor> = Tree<tf.Tensor>> extends Error {
  constructor(
    message: string,
    readonly result: SolveResult,
    readonly solution: Solution<Y>,
    readonly stats: SolveStats,
  ) {
    super(message);
    this.name = 'SolveError';
  }
}

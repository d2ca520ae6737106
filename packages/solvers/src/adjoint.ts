import type { Tree } from '@odekit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { replayController } from './controllers.js';
import { type IntegrateOutput, integrate } from './integrate.js';
import { backendOnHost, hostStorage, tapeIsRecording, tensorStorage } from './loop-storage.js';
import { packHost, packRow, rowsToTree, savedLayout } from './packing.js';
import type { SolveProblem } from './problem.js';
import type { DenseStep, SolveResult, SolveStats } from './solution.js';

/** What an adjoint's solve returns (the caller owns the tensors). */
export interface AdjointOutput {
  readonly ts: number[];
  readonly ys: Tree<tf.Tensor>;
  readonly stats: SolveStats;
  readonly result: SolveResult;
  readonly denseSteps: DenseStep[];
  /** Where the solve stopped (t1 when successful). */
  readonly tEnd: number;
  /** The dense output was made off the gradient tape, so `evaluate` cannot carry gradients. */
  readonly denseDetached?: boolean;
  /** See `IntegrateOutput.stiffness` (the integrate loop's estimate of stiffness at the last step). */
  readonly stiffness?: number;
  /** See `IntegrateOutput.sampleOffsets`. */
  readonly sampleOffsets?: Int32Array;
}

/**
 * Decides how a solve is differentiated: the integrate loop is driven through `solve`, and the
 * adjoint chooses what is recorded for the backward pass.
 */
export interface Adjoint {
  readonly name: 'direct' | 'recursive-checkpoint' | 'backsolve';
  solve(problem: SolveProblem): AdjointOutput;
}

/**
 * Runs the loop once on the problem's own `y0` and `args`. When a gradient tape is recording
 * it uses tensors throughout (the tape sees every op); otherwise, on host backends, the fast
 * tape-free host storage.
 */
export function runPlain(problem: SolveProblem): AdjointOutput {
  const hostCapable = backendOnHost() && problem.solver.stepHost !== undefined;
  if (hostCapable && !tapeIsRecording()) {
    const y0 = Float64Array.from(packHost(problem.layout, problem.y0));
    const storage = hostStorage(problem.hostField(problem.args), problem.solver);
    return finishOutput(problem, integrate({ ...loopOptions(problem), storage, y0 }));
  }
  let options = loopOptions(problem);
  let chosen: IntegrateOutput | undefined;
  if (hostCapable && problem.controller.adaptive) {
    // Choose the steps with a tape-free pass, then replay exactly those steps under the tape:
    // every adjoint then differentiates the same discrete solution.
    const y0 = Float64Array.from(packHost(problem.layout, problem.y0));
    // It saves what the solve saves (and drops it), so its stats are those of a tape-free solve.
    const storage = hostStorage(problem.hostField(problem.args), problem.solver);
    chosen = integrate({ ...options, progress: undefined, storage, y0 });
    chosen.rows?.dispose();
    for (const d of chosen.denseSteps) d.rows.dispose();
    const hs = chosen.steps.map((s) => s.h);
    options = {
      ...options,
      controller: replayController(hs, problem.controller),
      // no accepted step (a failure at the first step): the replay must take none either
      dt0: hs[0] ?? problem.dt0 ?? problem.t1 - problem.t0,
      maxSteps: hs.length,
    };
  }
  const y0 = packRow(problem.layout, problem.y0);
  const out = integrate({ ...options, storage: tensorStorage(problem.rowField(problem.args), problem.solver), y0 });
  y0.dispose();
  if (chosen === undefined) return finishOutput(problem, out);
  return finishOutput(problem, { ...out, stats: chosen.stats, result: chosen.result });
}

function loopOptions(problem: SolveProblem) {
  return {
    solver: problem.solver,
    controller: problem.controller,
    t0: problem.t0,
    t1: problem.t1,
    dt0: problem.dt0,
    batch: problem.layout.batch,
    saveat: problem.saveat,
    maxSteps: problem.maxSteps,
    progress: problem.progress,
  };
}

function finishOutput(problem: SolveProblem, out: IntegrateOutput): AdjointOutput {
  const ys = rowsToTree(savedLayout(problem.layout, out.sampleOffsets !== undefined), out.rows, out.ts.length);
  out.rows?.dispose();
  return adjointOutput(out, ys, false);
}

/** An adjoint's result from the loop's bookkeeping and the saved values `ys`. */
export function adjointOutput(out: IntegrateOutput, ys: Tree<tf.Tensor>, denseDetached: boolean): AdjointOutput {
  const { ts, stats, result, denseSteps, tEnd, stiffness, sampleOffsets } = out;
  return {
    ts,
    ys,
    stats,
    result,
    denseSteps,
    tEnd,
    ...(denseDetached ? { denseDetached } : {}),
    ...(stiffness !== undefined ? { stiffness } : {}),
    ...(sampleOffsets !== undefined ? { sampleOffsets } : {}),
  };
}

/**
 * Differentiates a solve with the plain tfjs tape through every operation of every step.
 *
 * Exact for the computed discrete solution (accepted step sizes held fixed), works with
 * tensors captured in closures, but memory grows with every op of every step. Prefer
 * {@link recursiveCheckpointAdjoint} for long solves.
 *
 * @example
 * ```ts
 * import { directAdjoint } from '@odekit/solvers';
 * if (directAdjoint().name !== 'direct') throw new Error('bad');
 * ```
 */
export function directAdjoint(): Adjoint {
  return Object.freeze({ name: 'direct', solve: runPlain });
}

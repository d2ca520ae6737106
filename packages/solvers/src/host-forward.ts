import type { Tree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type IntegrateOutput, integrate } from './integrate.js';
import { type HostVec, hostStorage } from './loop-storage.js';
import { rowsToTree, savedLayout } from './packing.js';
import type { SolveProblem } from './problem.js';
import type { HostDense, HostField } from './solver.js';

/**
 * The forward solve of a host-backed adjoint: `problem`'s solver, controller, times and saveat
 * run on plain arrays from `y0` with the field `f`, off the tape. Every dense step's rows are
 * kept for the backward pass (the caller owns them); the saved rows come back as the state's
 * tree `ys` (each leaf `[nSaved, ...leafShape]`, owned by the caller).
 */
export function hostForward(
  problem: SolveProblem,
  f: HostField,
  y0: Float64Array,
  onAccept?: (step: number, y1: HostVec, dense: HostDense) => void,
): { out: IntegrateOutput; ys: Tree<tf.Tensor> } {
  const { layout } = problem;
  const out = integrate({
    storage: hostStorage(f, problem.solver),
    solver: problem.solver,
    controller: problem.controller,
    t0: problem.t0,
    t1: problem.t1,
    dt0: problem.dt0,
    y0,
    batch: layout.batch,
    saveat: problem.saveat,
    maxSteps: problem.maxSteps,
    progress: problem.progress,
    ...(onAccept === undefined ? {} : { onAccept }),
  });
  for (const d of out.denseSteps) tf.keep(d.rows);
  const ys = rowsToTree(savedLayout(layout, out.sampleOffsets !== undefined), out.rows, out.ts.length);
  out.rows?.dispose();
  return { out, ys };
}

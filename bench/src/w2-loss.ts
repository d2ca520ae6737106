// The W2 loss shared by the W2 benchmarks: mean squared error over the 100 × 2 saved values of
// the hybrid LV model solved with dopri5 1e-3/1e-6 from the workload's y0 (workloads.json).
import { compileField } from '@odekit/core';
import {
  diffeqsolve,
  dopri5,
  pidController,
  recursiveCheckpointAdjoint,
  type SolveStats,
  saveAt,
} from '@odekit/solvers';
import { type LvHybridParams, loadWorkloads, lvHybridArgs, lvHybridFieldFused } from '@odekit/testing';
import { tf } from './common.js';

/** The field compiled for host arrays (`compileField`): traced once per solve and backward pass. */
const compiled = compileField(lvHybridFieldFused);

/**
 * The W2 workload and its loss with the given `batchStages`; `onStats` sees each solve's stats.
 * `field`: `'default'` solves the tfjs-op field as diffeqsolve does by default (compiled for host
 * arrays, strictly: a fallback fails the run), `'tensor'` with `compile: false` (tfjs ops, the
 * opt-out), `'compiled'` with {@link compiled} (an explicit `compileField`).
 */
export function w2Loss(
  batchStages: boolean | 'auto',
  onStats?: (stats: SolveStats) => void,
  field: 'default' | 'tensor' | 'compiled' = 'default',
) {
  const w = loadWorkloads().W2;
  const y0 = tf.tensor1d(w.y0);
  const data = tf.tensor2d(w.data);
  const loss = (p: LvHybridParams) => {
    const sol = diffeqsolve({
      term: field === 'compiled' ? compiled : lvHybridFieldFused,
      compile: field === 'tensor' ? false : { strict: true },
      solver: dopri5(),
      t0: 0,
      t1: w.ts[w.ts.length - 1] as number,
      y0,
      args: lvHybridArgs(p), // the coefficient algebra once per solve, differentiably
      saveat: saveAt({ ts: w.ts }),
      stepsizeController: pidController({ rtol: w.rtol, atol: w.atol }),
      adjoint: recursiveCheckpointAdjoint({ batchStages }),
    });
    onStats?.(sol.stats);
    return tf.mean(tf.square(tf.sub(sol.ys as tf.Tensor, data)));
  };
  return { w, loss };
}

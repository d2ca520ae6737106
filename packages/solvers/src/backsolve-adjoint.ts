import { customGrad, type Tree, treeFlatten, treeUnflatten, withSavedTape } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Adjoint, type AdjointOutput, adjointOutput, runPlain } from './adjoint.js';
import type { StepSizeController } from './controllers.js';
import { rowSpan, savedCotangents } from './cotangent-rows.js';
import { makeFieldVjp } from './field-vjp.js';
import { hostForward } from './host-forward.js';
import { type IntegrateOutput, integrate, type OutputSource } from './integrate.js';
import { backendOnHost, hostStorage, tapeIsRecording } from './loop-storage.js';
import { checkOptions } from './options.js';
import { packHost, unpackHost } from './packing.js';
import type { SolveProblem } from './problem.js';
import { saveAt } from './save-at.js';
import type { AbstractSolver, HostField } from './solver.js';
import { splitArgs } from './split-args.js';

/** Options of {@link backsolveAdjoint}. */
export interface BacksolveOptions {
  /** Solver for the backward augmented system (default: the forward solver). */
  solver?: AbstractSolver;
  /** Controller for the backward system (default: the forward controller). */
  stepsizeController?: StepSizeController;
}

/**
 * The continuous adjoint ("optimise-then-discretise", Chen et al. 2018, Neural Ordinary
 * Differential Equations, arXiv:1806.07366): the backward pass integrates
 * `y' = f`, `a' = −aᵀ ∂f/∂y`, `g' = −aᵀ ∂f/∂θ` from t1 back to t0, between save times.
 *
 * **Approximate and not recommended**: its gradient is that of the continuous problem, with
 * an error of the size of the tolerances, and the backward re-solve of `y` can drift from the
 * forward trajectory (badly for unstable or stiff dynamics). Its memory is O(1) in the number
 * of steps. Prefer {@link recursiveCheckpointAdjoint}, which is exact for the computed solution.
 * Gradients reach tensors in `args` and `y0` only. Needs an explicit Runge–Kutta solver on a
 * host backend (cpu, wasm); elsewhere it records the plain tape as `directAdjoint` does.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { valueAndGrad } from '@odekit/core';
 * import { diffeqsolve, tsit5, pidController, backsolveAdjoint } from '@odekit/solvers';
 * const loss = (p: { k: tf.Tensor }) => {
 *   const sol = diffeqsolve({ term: (t, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y),
 *     solver: tsit5(), t0: 0, t1: 1, y0: tf.tensor1d([1]), args: p,
 *     stepsizeController: pidController({ rtol: 1e-6, atol: 1e-8 }), adjoint: backsolveAdjoint() });
 *   return tf.sum(tf.square(sol.ys as tf.Tensor));
 * };
 * const { grads } = valueAndGrad(loss)({ k: tf.scalar(0.5) });
 * if (Math.abs((grads.k.arraySync() as number) + 2 * Math.exp(-1)) > 1e-3) throw new Error('bad');
 * ```
 */
export function backsolveAdjoint(options: BacksolveOptions = {}): Adjoint {
  checkOptions('backsolveAdjoint', options, ['solver', 'stepsizeController']);
  return Object.freeze({
    name: 'backsolve',
    solve: (problem: SolveProblem): AdjointOutput => {
      const solver = options.solver ?? problem.solver;
      if (
        !tapeIsRecording() ||
        !backendOnHost() ||
        solver.stepHost === undefined ||
        problem.solver.stepHost === undefined
      ) {
        return runPlain(problem);
      }
      return solveBacksolve(problem, solver, options.stepsizeController ?? problem.controller);
    },
  });
}

function solveBacksolve(
  problem: SolveProblem,
  backSolver: AbstractSolver,
  backController: StepSizeController,
): AdjointOutput {
  const { layout } = problem;
  if (!backController.adaptive && problem.dt0 === undefined) {
    throw new Error(
      "backsolveAdjoint: the backward solve has constant steps but diffeqsolve got no 'dt0' to size them; pass dt0, or an adaptive stepsizeController (e.g. pidController()) to backsolveAdjoint.",
    );
  }
  const N = layout.size;
  const { tensors: argTensors, argsWith } = splitArgs(problem.args);
  let meta: IntegrateOutput | undefined;
  const run = customGrad((inputs: { y0: tf.Tensor[]; args: tf.Tensor[] }, save) => {
    const args = argsWith(inputs.args);
    const y0 = Float64Array.from(packHost(layout, treeUnflatten(layout.treedef, inputs.y0)));
    // The backward pass starts from the state where the forward pass stopped: y(t1) when it
    // succeeded, the last accepted state of a failed (partial) solve.
    let yEnd = Float64Array.from(y0);
    const { out, ys } = hostForward(problem, problem.hostField(args), y0, (_step, y1) => {
      yEnd = Float64Array.from(y1 as Float64Array);
    });
    meta = out;
    // args may be intermediates of the loss, disposed after the forward: keep copies
    save(inputs.args);
    return {
      value: ys,
      gradFunc: (dy: Tree<tf.Tensor>, savedArgs: tf.Tensor[]) =>
        withSavedTape(() => {
          const args = argsWith(savedArgs);
          const ct = savedCotangents(layout, dy, out);
          const P = savedArgs.reduce((a, t) => a + t.size, 0);
          const fvjp = makeFieldVjp(problem, savedArgs, args);
          // augmented state z = [y, a, g]; its field runs one taped evaluation of f
          const aug: HostField = (t, z) => {
            const y = z.subarray(0, N);
            const a = z.subarray(N, 2 * N);
            const grads = savedArgs.map((x) => new Float64Array(x.size));
            const out32 = new Float32Array(2 * N + P);
            const v = fvjp(t, Float64Array.from(y), Float64Array.from(a), grads, (f) => out32.set(f, 0));
            for (let i = 0; i < N; i++) out32[N + i] = -(v[i] as number);
            let off = 2 * N;
            for (const g of grads) {
              for (let i = 0; i < g.length; i++) out32[off + i] = -(g[i] as number);
              off += g.length;
            }
            return out32;
          };
          // start where the forward pass stopped (t1, or tEnd of a failed solve) with a = 0;
          // each saved row adds its cotangent when the backward solve reaches its time
          // rows in time order (per-sample saves come sample by sample: sort them)
          const order = Array.from(out.ts.keys());
          if (out.sampleOffsets !== undefined) {
            const dir = problem.t1 >= problem.t0 ? 1 : -1;
            order.sort((a, b) => ((out.ts[a] as number) - (out.ts[b] as number)) * dir || a - b);
          }
          const z = new Float64Array(2 * N + P);
          z.set(yEnd, 0);
          let tCur = out.tEnd;
          const addCt = (row: number) => {
            const { at, col, n } = rowSpan(out.sources[row] as OutputSource, row, N, layout.width);
            for (let i = 0; i < n; i++) z[N + col + i] = (z[N + col + i] as number) + (ct[at + i] as number);
          };
          const storage = hostStorage(aug, backSolver);
          for (let q = order.length - 1; q >= -1; q--) {
            const row = q >= 0 ? (order[q] as number) : -1;
            const tNext = row >= 0 ? (out.ts[row] as number) : problem.t0;
            if (tNext !== tCur) {
              const seg = integrate({
                storage,
                solver: backSolver,
                controller: backController,
                t0: tCur,
                t1: tNext,
                dt0: backController.adaptive ? undefined : -(problem.dt0 ?? 0),
                y0: Float64Array.from(z),
                batch: 1,
                saveat: saveAt({ t1: true }),
                maxSteps: problem.maxSteps,
                progress: undefined,
              });
              const zEnd = seg.rows?.dataSync() ?? [];
              seg.rows?.dispose();
              if (seg.result !== 'successful') {
                throw new Error(
                  `backsolveAdjoint: the backward solve failed (${seg.result}) at t = ${tCur}; use recursiveCheckpointAdjoint().`,
                );
              }
              // keep float64 for the adjoint parts by re-adding what float32 rows lost is not possible; accept float32
              for (let i = 0; i < z.length; i++) z[i] = zEnd[i] as number;
              tCur = tNext;
            }
            if (row >= 0) addCt(row);
          }
          const gY0 = treeFlatten<tf.Tensor>(unpackHost(layout, z.subarray(N, 2 * N))).leaves;
          let off = 2 * N;
          const gArgs = savedArgs.map((x) => {
            const g = tf.tensor(Float32Array.from(z.subarray(off, off + x.size)), x.shape, 'float32');
            off += x.size;
            return g;
          });
          return { y0: gY0, args: gArgs };
        }),
    };
  });
  const ys = run({ y0: treeFlatten<tf.Tensor>(problem.y0).leaves, args: argTensors });
  const m = meta as IntegrateOutput;
  return adjointOutput(m, ys, true);
}

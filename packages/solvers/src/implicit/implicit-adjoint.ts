import { customGrad, type Tree, treeFlatten, treeUnflatten, withSavedTape } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type AdjointOutput, adjointOutput } from '../adjoint.js';
import { rowSpan, savedCotangents } from '../cotangent-rows.js';
import { type FieldVjp, makeFieldVjp } from '../field-vjp.js';
import { hostForward } from '../host-forward.js';
import type { IntegrateOutput, OutputSource } from '../integrate.js';
import { packHost, unpackHost } from '../packing.js';
import type { SolveProblem } from '../problem.js';
import type { HostDense, HostField, StepTolerances } from '../solver.js';
import { splitArgs } from '../split-args.js';
import { withoutTapeVjp } from './host-field-vjp.js';
import { replayStep, StartStates } from './start-states.js';

/**
 * The backward pass of one implicit step on host arrays: given the cotangents of the step's end
 * state `y1` and of its dense rows, the stage derivatives `k_j` (`k[j]`, absent when zero),
 * returns the cotangent of `y0` and adds the args' cotangents through `fvjp`.
 */
export type ImplicitStepVjp = (
  f: HostField,
  fvjp: FieldVjp,
  argGrads: Float64Array[],
  t0: number,
  h: number,
  y0: Float64Array,
  tol: StepTolerances,
  cotangents: { y1: Float64Array; k: (Float64Array | undefined)[] },
) => Float64Array;

/**
 * The checkpointed adjoint for implicit solvers with a host backward pass (`stepVjpHost`): the
 * forward solve records no tape and keeps each accepted step's start state (or, with
 * `checkpoints`, at most that many, recomputing the others segment by segment); the backward pass
 * visits the steps in reverse, recomputes each step's stages and differentiates them by the
 * implicit function theorem (a transposed LU solve per stage, field VJPs by the field's host
 * kernels or one taped evaluation each).
 */
export function solveImplicitCheckpointed(
  problem: SolveProblem,
  stepVjp: ImplicitStepVjp,
  checkpoints?: number,
): AdjointOutput {
  const { layout } = problem;
  const N = layout.size;
  const y0Leaves = treeFlatten<tf.Tensor>(problem.y0).leaves;
  const { tensors: argTensors, argsWith } = splitArgs(problem.args);
  const tol: StepTolerances = { rtol: problem.controller.rtol, atol: problem.controller.atol, batch: layout.batch };
  let meta: IntegrateOutput | undefined;
  const run = customGrad((inputs: { y0: tf.Tensor[]; args: tf.Tensor[] }, save) => {
    // (a taped VJP records nothing in this customGrad forward: Jacobians by differences here)
    const fHost = withoutTapeVjp(problem.hostField(argsWith(inputs.args)));
    const y0 = Float64Array.from(packHost(layout, treeUnflatten(layout.treedef, inputs.y0)));
    const starts = new StartStates(checkpoints);
    const { out, ys } = hostForward(problem, fHost, y0, (_step, _y1, dense) => {
      starts.push((dense as HostDense).y0);
    });
    meta = out;
    save(inputs.args);
    return {
      value: ys,
      gradFunc: (dy: Tree<tf.Tensor>, savedArgs: tf.Tensor[]) =>
        withSavedTape(() => {
          const args = argsWith(savedArgs);
          const f = problem.hostField(args);
          const ct = Float64Array.from(savedCotangents(layout, dy, out));
          const argGrads = savedArgs.map((a) => new Float64Array(a.size));
          const lambda0 = new Float64Array(N);
          const fvjp = makeFieldVjp(problem, savedArgs, args, { deferArgGrads: true });
          const nSteps = out.steps.length;
          // cotangents of each step's end state, made when needed and dropped once the step is done
          const yBar: (Float64Array | undefined)[] = new Array(nSteps);
          const yBarOf = (k: number): Float64Array => {
            if (k < 0) return lambda0;
            let v = yBar[k];
            if (v === undefined) {
              v = new Float64Array(N);
              yBar[k] = v;
            }
            return v;
          };
          // cotangents of each step's dense rows k_j (made when a saved time interpolates in it)
          const kBar: (Float64Array | undefined)[][] = Array.from({ length: nSteps }, () => []);
          const add = (target: Float64Array, row: number, w: number) => {
            if (w === 0) return;
            const { at, col, n } = rowSpan(out.sources[row] as OutputSource, row, N, layout.width);
            for (let i = 0; i < n; i++) target[col + i] = (target[col + i] as number) + w * (ct[at + i] as number);
          };
          out.sources.forEach((s, row) => {
            if (s.kind === 'y0') add(lambda0, row, 1);
            else if (s.kind === 'end') add(yBarOf(s.step), row, 1);
            else {
              // dense rows [y0; k_0; …]: y(θ) = w_0·y0 + Σ_j w_{j+1}·k_j
              const st = out.steps[s.step] as { h: number };
              const w = problem.solver.denseWeights(s.theta, st.h, false);
              add(yBarOf(s.step - 1), row, w[0] as number);
              const kb = kBar[s.step] as (Float64Array | undefined)[];
              for (let j = 1; j < w.length; j++) {
                if (w[j] === 0) continue;
                kb[j - 1] ??= new Float64Array(N);
                add(kb[j - 1] as Float64Array, row, w[j] as number);
              }
            }
          });
          const stepHost = problem.solver.stepHost;
          if (stepHost === undefined) throw new Error(`${problem.solver.name}: no host step to replay.`);
          // replays take Jacobians as the forward pass did (no taped VJPs)
          const replay = replayStep(stepHost, withoutTapeVjp(f), tol, problem.solver.name);
          starts.backward(out.steps, replay, (k, start) => {
            const st = out.steps[k] as { t0: number; h: number };
            const g = stepVjp(f, fvjp, argGrads, st.t0, st.h, start, tol, {
              y1: yBarOf(k),
              k: kBar[k] as (Float64Array | undefined)[],
            });
            yBar[k] = undefined;
            kBar[k] = [];
            const into = yBarOf(k - 1);
            for (let i = 0; i < N; i++) into[i] = (into[i] as number) + (g[i] as number);
          });
          fvjp.flush?.(argGrads);
          const gY0 = treeFlatten<tf.Tensor>(unpackHost(layout, lambda0)).leaves;
          const gArgs = argGrads.map((gr, j) =>
            tf.tensor(Float32Array.from(gr), (savedArgs[j] as tf.Tensor).shape, 'float32'),
          );
          return { y0: gY0, args: gArgs };
        }),
    };
  });
  const ys = run({ y0: y0Leaves, args: argTensors });
  return adjointOutput(meta as IntegrateOutput, ys, true);
}

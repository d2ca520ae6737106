import { customGrad, type FloatArray, type Tree, treeFlatten, treeUnflatten, withSavedTape } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Adjoint, type AdjointOutput, adjointOutput, runPlain } from './adjoint.js';
import { BatchStagesUnsupported, batchedBackward } from './batched-backward.js';
import { CheckpointStore } from './checkpoint-store.js';
import { type RowSpan, rowSpan, savedCotangents } from './cotangent-rows.js';
import { makeFieldVjp } from './field-vjp.js';
import { hostForward } from './host-forward.js';
import { solveImplicitCheckpointed } from './implicit/implicit-adjoint.js';
import type { AcceptedStep, IntegrateOutput } from './integrate.js';
import { backendOnHost, hostStorage, tapeIsRecording } from './loop-storage.js';
import { checkOptions } from './options.js';
import { packHost, unpackHost } from './packing.js';
import type { SolveProblem } from './problem.js';
import { type InterpCotangent, type StageVjps, stagesAt, stepVjp } from './rk-step-vjp.js';
import { polyTable } from './runge-kutta/poly.js';
import type { ButcherTableau } from './runge-kutta/tableau.js';
import type { HostDense, HostField } from './solver.js';
import { splitArgs } from './split-args.js';

/** Options of {@link recursiveCheckpointAdjoint}. */
export interface CheckpointOptions {
  /**
   * How many step checkpoints to keep. Default: every step (fastest; memory O(steps × stages ×
   * state)). With fewer, states are kept at a stride that doubles whenever the slots fill up,
   * and the backward pass recomputes each segment, bisecting segments longer than
   * `checkpoints`: memory O(checkpoints × state), recomputation O(n log n).
   */
  checkpoints?: number;
  /**
   * Evaluate the backward pass's stage Jacobians in batches. When the vector field ignores `t`
   * and treats the leading (batch) axis as independent samples, it can be called once on all
   * stage points stacked along that axis (`[S·B, ...]` for a batched state `[B, ...]`,
   * `[S, ...y.shape]` for an unbatched one, as fields built from odekit's layers and row-wise
   * tfjs ops allow): then every stage Jacobian comes from two batched calls (one over D + 2
   * copies of the points, D = per-sample state size, and one for the args) instead of one VJP per stage — many times fewer tfjs ops for small states.
   * The batched call passes `t = NaN`, its values must equal the forward pass's stage values,
   * and probes with a cotangent on a single sample must stay on that sample, so a field that
   * uses `t` or couples samples is detected.
   *
   * `'auto'` (default): batch when D ≤ 16, the whole state has at most 256 values (beyond that
   * the per-stage VJPs are no longer dominated by per-op overhead and win: at batch 256 of the
   * W2 model, 0.5 s against 1.3 s) and the points fit in 4 Mi floats; fall back to one VJP per
   * stage when the check fails. `true`: always batch, throwing when the check fails.
   * `false`: one VJP per stage. Batching holds O(steps × stages × state) during the backward pass.
   */
  batchStages?: boolean | 'auto';
}

/**
 * Differentiates a solve by discretise-then-optimise with checkpointing — the default adjoint.
 *
 * The forward pass records no tape: it keeps the accepted steps `(t, h)` and checkpoints. The
 * backward pass recomputes each step from the nearest checkpoint and chains the vector–Jacobian
 * products of the Runge–Kutta stages in reverse (one VJP of the vector field per stage). The
 * gradient is that of the discrete solution actually computed, with the accepted step sizes
 * held fixed — the same quantity as Diffrax's `RecursiveCheckpointAdjoint` and torchdiffeq's
 * backprop through the solver (Griewank & Walther, Algorithm 799: revolve, ACM TOMS 26 (2000),
 * doi:10.1145/347837.347846, for the checkpointing idea).
 *
 * It is wired through `customGrad` over the tensor leaves of `y0` and `args`, so any loss of
 * `sol.ys` differentiates with `valueAndGrad`. **Tensors captured in the vector field's
 * closure get no gradient: pass everything trainable in `args`.** Gradients flow through
 * `sol.ys` (e.g. `saveAt({ ts })` outputs), not through `sol.evaluate(t)`, which throws under a
 * tape. Needs an explicit Runge–Kutta solver and a host backend (cpu, wasm); elsewhere it
 * records the plain tape as `directAdjoint` does.
 *
 * @throws Error when `checkpoints` is not a positive integer.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { valueAndGrad } from '@odekit/core';
 * import { diffeqsolve, tsit5, recursiveCheckpointAdjoint } from '@odekit/solvers';
 * // d/dk of y(1)² for y' = −k y, y(0) = 1 is −2 e^{−2k}
 * const loss = (p: { k: tf.Tensor }) => {
 *   const sol = diffeqsolve({ term: (t, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y),
 *     solver: tsit5(), t0: 0, t1: 1, dt0: 0.05, y0: tf.tensor1d([1]), args: p,
 *     adjoint: recursiveCheckpointAdjoint({ checkpoints: 4 }) });
 *   return tf.sum(tf.square(sol.ys as tf.Tensor));
 * };
 * const { grads } = valueAndGrad(loss)({ k: tf.scalar(0.5) });
 * if (Math.abs((grads.k.arraySync() as number) + 2 * Math.exp(-1)) > 1e-4) throw new Error('bad');
 * ```
 */
export function recursiveCheckpointAdjoint(options: CheckpointOptions = {}): Adjoint {
  checkOptions('recursiveCheckpointAdjoint', options, ['checkpoints', 'batchStages']);
  const { checkpoints, batchStages = 'auto' } = options;
  if (batchStages !== true && batchStages !== false && batchStages !== 'auto') {
    throw new Error(
      `recursiveCheckpointAdjoint: 'batchStages' must be true, false or 'auto', got ${String(batchStages)}.`,
    );
  }
  if (checkpoints !== undefined && !(Number.isInteger(checkpoints) && checkpoints >= 1)) {
    throw new Error(`recursiveCheckpointAdjoint: 'checkpoints' must be a positive integer, got ${checkpoints}.`);
  }
  return Object.freeze({
    name: 'recursive-checkpoint',
    solve: (problem: SolveProblem): AdjointOutput => {
      const tableau = problem.solver.tableau;
      if (!tapeIsRecording()) return runPlain(problem);
      const implicitVjp = problem.solver.stepVjpHost;
      if (backendOnHost() && implicitVjp !== undefined) {
        return solveImplicitCheckpointed(problem, implicitVjp, checkpoints);
      }
      if (!backendOnHost() || tableau === undefined || problem.solver.stepHost === undefined) {
        problem.reportFallback(
          `recursiveCheckpointAdjoint recorded the full tape (as directAdjoint does): ${
            backendOnHost()
              ? `solver '${problem.solver.name}' is not an explicit Runge–Kutta method`
              : `backend '${tf.getBackend()}' is not cpu or wasm`
          }`,
        );
        return runPlain(problem);
      }
      return solveWithCheckpoints(problem, tableau, checkpoints, batchStages);
    },
  });
}

function solveWithCheckpoints(
  problem: SolveProblem,
  tableau: ButcherTableau,
  maxCheckpoints: number | undefined,
  batchStages: boolean | 'auto',
): AdjointOutput {
  const { layout } = problem;
  const N = layout.size;
  const y0Leaves = treeFlatten<tf.Tensor>(problem.y0).leaves;
  const { tensors: argTensors, argsWith } = splitArgs(problem.args);
  let meta: IntegrateOutput | undefined;
  const run = customGrad((inputs: { y0: tf.Tensor[]; args: tf.Tensor[] }, save) => {
    const args = argsWith(inputs.args);
    const fHost = problem.hostField(args);
    const y0 = Float64Array.from(packHost(layout, treeUnflatten(layout.treedef, inputs.y0)));
    const store = new CheckpointStore(maxCheckpoints, N);
    // every step kept: each accepted step stores its start state with its stages (one tensor);
    // thinned: states only, at a stride
    if (maxCheckpoints !== undefined) store.put(0, y0);
    const { out, ys } = hostForward(problem, fHost, y0, (step, y1, dense) => {
      if (maxCheckpoints === undefined) store.putWithStages(step, dense as HostDense);
      else store.put(step + 1, y1 as Float64Array);
    });
    meta = out;
    // The storage keeps saved tensors for the backward pass and frees them when it ends. The
    // args are saved too: they may be intermediates of the loss, disposed after the forward.
    const checkpointTensors = store.tensors();
    save([...checkpointTensors, ...inputs.args]);
    return {
      value: ys,
      gradFunc: (dy: Tree<tf.Tensor>, saved: tf.Tensor[]) =>
        withSavedTape(() => {
          store.rebind(saved.slice(0, checkpointTensors.length));
          const savedArgs = saved.slice(checkpointTensors.length);
          return backward(problem, tableau, out, store, dy, savedArgs, argsWith(savedArgs), batchStages);
        }),
    };
  });
  const ys = run({ y0: y0Leaves, args: argTensors });
  const m = meta as IntegrateOutput;
  return adjointOutput(m, ys, true);
}

/** The gradient pass: chains per-stage VJPs backwards over every accepted step. */
function backward(
  problem: SolveProblem,
  tab: ButcherTableau,
  out: IntegrateOutput,
  store: CheckpointStore,
  dy: Tree<tf.Tensor>,
  argTensors: tf.Tensor[],
  args: unknown,
  batchStages: boolean | 'auto',
): { y0: tf.Tensor[]; args: tf.Tensor[] } {
  const { layout } = problem;
  const N = layout.size;
  const fHost: HostField = problem.hostField(args);
  const nSteps = out.steps.length;
  const ct = savedCotangents(layout, dy, out);
  // cotangents per source
  const lambda = new Float64Array(N);
  const endCt = new Map<number, RowSpan[]>();
  const interpCt = new Map<number, InterpCotangent[]>();
  const y0Rows: RowSpan[] = [];
  out.sources.forEach((s, row) => {
    const span = rowSpan(s, row, N, layout.width);
    if (s.kind === 'y0') y0Rows.push(span);
    else if (s.kind === 'end') {
      const rows = endCt.get(s.step);
      if (rows === undefined) endCt.set(s.step, [span]);
      else rows.push(span);
    } else {
      // appended in place: a step may hold hundreds of saved times
      const rows = interpCt.get(s.step);
      const ic: InterpCotangent = { theta: s.theta, at: span.at, col: span.col, n: span.n };
      if (rows === undefined) interpCt.set(s.step, [ic]);
      else rows.push(ic);
    }
  });
  const addRow = (target: Float64Array, { at, col, n }: RowSpan) => {
    for (let i = 0; i < n; i++) target[col + i] = (target[col + i] as number) + (ct[at + i] as number);
  };
  const argGrads = argTensors.map((a) => new Float64Array(a.size));
  const fvjp = makeFieldVjp(problem, argTensors, args, { deferArgGrads: true });

  const storage = hostStorage(fHost, problem.solver);
  const advance = (y: Float64Array, from: number, to: number): Float64Array => {
    let z = y;
    for (let s = from; s < to; s++) {
      const st = out.steps[s] as { t0: number; h: number };
      z = storage.step(st.t0, st.h, z, undefined, false).y1 as Float64Array;
    }
    return z;
  };
  const perCall: StageVjps = {
    stage: (_q, t, Y, c) => fvjp(t, Y, c, argGrads),
    f1: (t, y1, c) => fvjp(t, y1, c, argGrads),
  };
  // FSAL: a step whose first stage is the previous step's last one defers that stage's cotangent
  // to the previous step (visited next), which takes one VJP for both.
  let deferred: Float64Array | undefined;
  const denseTable = polyTable(tab.dense.slice(0, tab.c.length));
  const vjpStep = (k: number, y: Float64Array, stages: FloatArray[] | undefined, vjps = perCall) => {
    for (const span of endCt.get(k) ?? []) addRow(lambda, span);
    const st = out.steps[k] as AcceptedStep;
    const kv = stages ?? stagesAt(tab, fHost, st.t0, st.h, y);
    const fsal = tab.fsal ? { intoLast: deferred, deferFirst: k > 0 && st.k1FromPrevious === true } : undefined;
    deferred = stepVjp(tab, st, { y, k: kv }, interpCt.get(k) ?? [], ct, lambda, vjps, N, fsal, denseTable);
  };
  let batched = false;
  const nPoints = nSteps * (tab.c.length + 1);
  // per-stage VJPs by a field's host implementation beat batching them through tensors
  const autoOk = fvjp.host !== true && layout.width <= 16 && N <= 256 && nPoints * N <= 4_194_304;
  if (batchStages === true || (batchStages === 'auto' && autoOk)) {
    try {
      batchedBackward({ problem, tab, out, store, fHost, argTensors, args, argGrads, vjpStep });
      batched = true;
    } catch (e) {
      if (batchStages === true || !(e instanceof BatchStagesUnsupported)) throw e;
    }
  }
  if (!batched) {
    // Steps [a, b) from the state at a, last step first. Segments longer than the budget are
    // bisected (replay to the midpoint, recurse right, then left): memory O(budget + log n)
    // states, recomputation O(n log n).
    const budget = Math.max(1, store.capacity ?? nSteps);
    const segment = (a: number, yA: Float64Array, b: number): void => {
      if (b - a <= budget) {
        const states = [yA];
        for (let s = a; s < b - 1; s++) states.push(advance(states[states.length - 1] as Float64Array, s, s + 1));
        for (let s = b - 1; s >= a; s--) vjpStep(s, states[s - a] as Float64Array, undefined);
        return;
      }
      const mid = a + Math.ceil((b - a) / 2);
      segment(mid, advance(yA, a, mid), b);
      segment(a, yA, mid);
    };
    const starts = store.steps().filter((s) => s < nSteps);
    for (let q = starts.length - 1; q >= 0; q--) {
      const a = starts[q] as number;
      const b = q + 1 < starts.length ? (starts[q + 1] as number) : nSteps;
      const c = store.nearest(a);
      const stages = store.stages(c);
      if (stages !== undefined && b === a + 1) vjpStep(a, store.state(c), stages);
      else segment(a, store.state(c), b);
    }
  }
  if (deferred !== undefined)
    throw new Error('recursiveCheckpointAdjoint: internal error, a deferred FSAL cotangent was left.');
  for (const span of y0Rows) addRow(lambda, span);
  fvjp.flush?.(argGrads);
  const gY0 = unpackHost(layout, lambda);
  const gArgs = argGrads.map((g, j) => tf.tensor(Float32Array.from(g), (argTensors[j] as tf.Tensor).shape, 'float32'));
  return { y0: treeFlatten<tf.Tensor>(gY0).leaves, args: gArgs };
}

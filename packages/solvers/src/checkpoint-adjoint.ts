import { customGrad, type Tree, treeFlatten, treeUnflatten, withSavedTape } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type Adjoint, type AdjointOutput, runPlain } from './adjoint.js';
import { cotangentRows, type FieldVjp, makeFieldVjp, splitArgs } from './adjoint-util.js';
import { backendOnHost, hostEngine, tapeIsRecording } from './engine.js';
import { type IntegrateOutput, integrate } from './integrate.js';
import { packHost, rowsToTree, unpackHost } from './packing.js';
import type { SolveProblem } from './problem.js';
import { polyEval } from './runge-kutta/poly.js';
import type { ButcherTableau } from './runge-kutta/tableau.js';
import type { HostDense, HostField } from './solver.js';

/** Options of {@link recursiveCheckpointAdjoint}. */
export interface CheckpointOptions {
  /**
   * How many step checkpoints to keep. Default: every step (fastest; memory O(steps × stages ×
   * state)). With fewer, states are kept at a stride that doubles whenever the slots fill up,
   * and the backward pass recomputes each segment, bisecting segments longer than
   * `checkpoints`: memory O(checkpoints × state), recomputation O(n log n).
   */
  checkpoints?: number;
}

/** What the forward pass keeps for step k: its state (float64 as hi + lo float32 rows) and maybe its stages. */
interface Checkpoint {
  readonly step: number;
  /** `[2 + stages, N]`: rows y_hi, y_lo, then the stage values (when kept). */
  readonly rows: tf.Tensor2D;
  readonly hasStages: boolean;
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
 * closure get no gradient: pass everything trainable in `args`.** Needs an explicit
 * Runge–Kutta solver and a host backend (cpu, wasm); elsewhere it records the plain tape as
 * `directAdjoint` does.
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
  const { checkpoints } = options;
  if (checkpoints !== undefined && !(Number.isInteger(checkpoints) && checkpoints >= 1)) {
    throw new Error(`recursiveCheckpointAdjoint: 'checkpoints' must be a positive integer, got ${checkpoints}.`);
  }
  return Object.freeze({
    name: 'recursive-checkpoint',
    solve: (problem: SolveProblem): AdjointOutput => {
      const tableau = problem.solver.tableau;
      if (!tapeIsRecording() || !backendOnHost() || tableau === undefined || problem.solver.stepHost === undefined) {
        return runPlain(problem);
      }
      return solveWithCheckpoints(problem, tableau, checkpoints);
    },
  });
}

function splitHiLo(y: Float64Array): Float32Array {
  const n = y.length;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const hi = Math.fround(y[i] as number);
    out[i] = hi;
    out[n + i] = (y[i] as number) - hi;
  }
  return out;
}

function joinHiLo(a: Float32Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = (a[i] as number) + (a[n + i] as number);
  return y;
}

function solveWithCheckpoints(
  problem: SolveProblem,
  tableau: ButcherTableau,
  maxCheckpoints: number | undefined,
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
    store.put(0, y0, undefined);
    const out = integrate({
      engine: hostEngine(fHost, problem.solver),
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
      onAccept: (step, y1, dense) => {
        store.attachStages(step, dense as HostDense);
        store.put(step + 1, y1 as Float64Array, undefined);
      },
    });
    meta = out;
    for (const d of out.denseSteps) tf.keep(d.rows);
    const ys = rowsToTree(layout, out.rows, out.ts.length);
    out.rows?.dispose();
    // the engine keeps saved tensors for the backward pass and frees them when it ends
    save(store.tensors());
    return {
      value: ys,
      gradFunc: (dy: Tree<tf.Tensor>, saved: tf.Tensor[]) =>
        withSavedTape(() => {
          store.rebind(saved);
          return backward(problem, tableau, out, store, dy, inputs, args);
        }),
    };
  });
  const ys = run({ y0: y0Leaves, args: argTensors });
  const m = meta as IntegrateOutput;
  return { ts: m.ts, ys, stats: m.stats, result: m.result, denseSteps: m.denseSteps };
}

/**
 * Keeps step checkpoints as float32 tensors (so memory shows in `tf.memory()`): the state as
 * hi + lo rows (float64 to ~1e-14) and, while every step is kept, its stage values.
 */
class CheckpointStore {
  private readonly byStep = new Map<number, Checkpoint>();
  private stride = 1;
  constructor(
    readonly capacity: number | undefined,
    private readonly n: number,
  ) {}

  /** The steps that have a checkpoint, ascending. */
  steps(): number[] {
    return [...this.byStep.keys()].sort((a, b) => a - b);
  }

  put(step: number, y: Float64Array, stages: HostDense | undefined): void {
    if (step % this.stride !== 0 && step !== 0) return;
    const hiLo = splitHiLo(y);
    const rows = stages ? this.withStages(hiLo, stages) : tf.tensor2d(hiLo, [2, this.n]);
    this.byStep.set(step, { step, rows, hasStages: stages !== undefined });
    if (this.capacity !== undefined && this.byStep.size > this.capacity) {
      this.stride *= 2;
      for (const [s, c] of this.byStep) {
        if (s !== 0 && s % this.stride !== 0) {
          c.rows.dispose();
          this.byStep.delete(s);
        }
      }
    }
  }

  /** While every step is kept (no capacity), also keep the stage values of step `step`. */
  attachStages(step: number, dense: HostDense): void {
    if (this.capacity !== undefined) return;
    const c = this.byStep.get(step);
    if (c === undefined || c.hasStages) return;
    const hiLo = c.rows.dataSync() as Float32Array;
    const rows = this.withStages(hiLo.slice(0, 2 * this.n), dense);
    c.rows.dispose();
    this.byStep.set(step, { step, rows, hasStages: true });
  }

  private withStages(hiLo: Float32Array, dense: HostDense): tf.Tensor2D {
    const all = new Float32Array((2 + dense.k.length) * this.n);
    all.set(hiLo, 0);
    dense.k.forEach((k, q) => {
      all.set(k, (2 + q) * this.n);
    });
    return tf.tensor2d(all, [2 + dense.k.length, this.n]);
  }

  /** The nearest checkpoint at or before `step`. */
  nearest(step: number): Checkpoint {
    for (let s = step; s >= 0; s--) {
      const c = this.byStep.get(s);
      if (c) return c;
    }
    throw new Error(`checkpoint store: no checkpoint at or before step ${step}`);
  }

  state(c: Checkpoint): Float64Array {
    return joinHiLo(c.rows.dataSync() as Float32Array, this.n);
  }

  stages(c: Checkpoint): Float32Array[] | undefined {
    if (!c.hasStages) return undefined;
    const all = c.rows.dataSync() as Float32Array;
    const out: Float32Array[] = [];
    for (let q = 2; q < c.rows.shape[0]; q++) out.push(all.subarray(q * this.n, (q + 1) * this.n));
    return out;
  }

  get size(): number {
    return this.byStep.size;
  }

  /** The checkpoint tensors in step order (what the forward pass hands to `save`). */
  tensors(): tf.Tensor2D[] {
    return this.steps().map((s) => (this.byStep.get(s) as Checkpoint).rows);
  }

  /** Points the checkpoints at the engine's saved copies (same order as {@link tensors}). */
  rebind(saved: tf.Tensor[]): void {
    this.steps().forEach((s, i) => {
      const c = this.byStep.get(s) as Checkpoint;
      this.byStep.set(s, { ...c, rows: saved[i] as tf.Tensor2D });
    });
  }
}

/** The gradient pass: chains per-stage VJPs backwards over every accepted step. */
function backward(
  problem: SolveProblem,
  tab: ButcherTableau,
  out: IntegrateOutput,
  store: CheckpointStore,
  dy: Tree<tf.Tensor>,
  inputs: { y0: tf.Tensor[]; args: tf.Tensor[] },
  args: unknown,
): { y0: tf.Tensor[]; args: tf.Tensor[] } {
  const { layout } = problem;
  const N = layout.size;
  const fHost: HostField = problem.hostField(args);
  const nSteps = out.steps.length;
  const ctTensor = tf.tidy(() => cotangentRows(layout, dy, out.ts.length));
  const ct = (ctTensor.dataSync() as Float32Array).slice();
  ctTensor.dispose();
  // cotangents per source
  const lambda = new Float64Array(N);
  const endCt = new Map<number, number[]>();
  const interpCt = new Map<number, { theta: number; row: number }[]>();
  const y0Rows: number[] = [];
  out.sources.forEach((s, row) => {
    if (s.kind === 'y0') y0Rows.push(row);
    else if (s.kind === 'end') endCt.set(s.step, [...(endCt.get(s.step) ?? []), row]);
    else interpCt.set(s.step, [...(interpCt.get(s.step) ?? []), { theta: s.theta, row }]);
  });
  const addRow = (target: Float64Array, row: number, scale = 1) => {
    for (let i = 0; i < N; i++) target[i] = (target[i] as number) + scale * (ct[row * N + i] as number);
  };
  const argGrads = inputs.args.map((a) => new Float64Array(a.size));
  const fvjp = makeFieldVjp(problem, inputs.args, args);

  const engine = hostEngine(fHost, problem.solver);
  const advance = (y: Float64Array, from: number, to: number): Float64Array => {
    let z = y;
    for (let s = from; s < to; s++) {
      const st = out.steps[s] as { t0: number; h: number };
      z = engine.step(st.t0, st.h, z, undefined, false).y1 as Float64Array;
    }
    return z;
  };
  const vjpStep = (k: number, y: Float64Array, stages: Float32Array[] | undefined) => {
    for (const row of endCt.get(k) ?? []) addRow(lambda, row);
    stepVjp(
      tab,
      out.steps[k] as { t0: number; h: number },
      { y, k: stages },
      interpCt.get(k) ?? [],
      ct,
      lambda,
      argGrads,
      fvjp,
      fHost,
      N,
    );
  };
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
  for (const row of y0Rows) addRow(lambda, row);
  const gY0 = unpackHost(layout, lambda);
  const gArgs = argGrads.map((g, j) => tf.tensor(Float32Array.from(g), (inputs.args[j] as tf.Tensor).shape, 'float32'));
  return { y0: treeFlatten<tf.Tensor>(gY0).leaves, args: gArgs };
}

/**
 * Reverse mode through one explicit RK step y1 = y0 + h Σ b_i k_i, k_i = f(t0 + c_i h, Y_i),
 * Y_i = y0 + h Σ_{j<i} a_ij k_j, plus its dense outputs y0 + h Σ P_i(θ) k_i. Updates `lambda`
 * (cotangent of y1 in, of y0 out) and `argGrads` in place.
 */
function stepVjp(
  tab: ButcherTableau,
  step: { t0: number; h: number },
  state: { y: Float64Array; k: Float32Array[] | undefined },
  interps: { theta: number; row: number }[],
  ct: Float32Array,
  lambda: Float64Array,
  argGrads: Float64Array[],
  fvjp: FieldVjp,
  fHost: HostField,
  N: number,
): void {
  const s = tab.c.length;
  const { t0, h } = step;
  // stage values: stored, or recomputed from the state
  let k = state.k?.slice(0, s);
  if (k === undefined || k.length < s) {
    k = [];
    for (let i = 0; i < s; i++) {
      const Y = combine(state.y, tab.a[i] as readonly number[], k, h, N);
      k.push(fHost(t0 + (tab.c[i] as number) * h, Y));
    }
  }
  const u = Array.from({ length: s }, () => new Float64Array(N));
  const lamY0 = new Float64Array(N);
  // dense outputs inside this step
  let lamY1 = lambda;
  if (interps.length > 0) {
    lamY1 = Float64Array.from(lambda);
    for (const { theta, row } of interps) {
      for (let i = 0; i < N; i++) lamY0[i] = (lamY0[i] as number) + (ct[row * N + i] as number);
      for (let q = 0; q < s; q++) {
        const w = h * polyEval(tab.dense[q] as readonly number[], theta);
        if (w === 0) continue;
        const uq = u[q] as Float64Array;
        for (let i = 0; i < N; i++) uq[i] = (uq[i] as number) + w * (ct[row * N + i] as number);
      }
      if (tab.denseNeedsF1) {
        // Hermite row f(t1, y1): its cotangent flows into y1 through J_f(y1)ᵀ
        const w = h * polyEval(tab.dense[s] as readonly number[], theta);
        if (w !== 0) {
          const y1 = combine(state.y, tab.b, k, h, N);
          const cf = new Float64Array(N);
          for (let i = 0; i < N; i++) cf[i] = w * (ct[row * N + i] as number);
          const v = fvjp(t0 + h, y1, cf, argGrads);
          for (let i = 0; i < N; i++) lamY1[i] = (lamY1[i] as number) + (v[i] as number);
        }
      }
    }
  }
  for (let i = 0; i < N; i++) lamY0[i] = (lamY0[i] as number) + (lamY1[i] as number);
  for (let q = 0; q < s; q++) {
    const w = h * (tab.b[q] as number);
    if (w === 0) continue;
    const uq = u[q] as Float64Array;
    for (let i = 0; i < N; i++) uq[i] = (uq[i] as number) + w * (lamY1[i] as number);
  }
  for (let q = s - 1; q >= 0; q--) {
    const uq = u[q] as Float64Array;
    let any = false;
    for (let i = 0; i < N; i++) {
      if (uq[i] !== 0) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    const Y = combine(state.y, tab.a[q] as readonly number[], k, h, N);
    const v = fvjp(t0 + (tab.c[q] as number) * h, Y, uq, argGrads);
    for (let i = 0; i < N; i++) lamY0[i] = (lamY0[i] as number) + (v[i] as number);
    const a = tab.a[q] as readonly number[];
    for (let j = 0; j < q; j++) {
      const w = h * (a[j] as number);
      if (w === 0) continue;
      const uj = u[j] as Float64Array;
      for (let i = 0; i < N; i++) uj[i] = (uj[i] as number) + w * (v[i] as number);
    }
  }
  lambda.set(lamY0);
}

function combine(
  y0: Float64Array,
  coef: readonly number[],
  k: readonly Float32Array[],
  h: number,
  N: number,
): Float64Array {
  const out = Float64Array.from(y0);
  for (let j = 0; j < coef.length && j < k.length; j++) {
    const c = h * (coef[j] as number);
    if (c === 0) continue;
    const kj = k[j] as Float32Array;
    for (let i = 0; i < N; i++) out[i] = (out[i] as number) + c * (kj[i] as number);
  }
  return out;
}

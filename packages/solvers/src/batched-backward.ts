import { engineGradients, type FloatArray, treeFlatten, treeUnflatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { CheckpointStore } from './checkpoint-store.js';
import { cotangentRows } from './cotangent-rows.js';
import { stageCombination } from './host-combine.js';
import type { IntegrateOutput } from './integrate.js';
import { unpackRows } from './packing.js';
import type { SolveProblem } from './problem.js';
import { type StageVjps, stagesAt } from './rk-step-vjp.js';
import type { ButcherTableau } from './runge-kutta/tableau.js';
import type { HostField } from './solver.js';
import { differentiable } from './split-args.js';

/**
 * Thrown (before anything is accumulated) when the field cannot be evaluated on a batch of
 * stage points: the `'auto'` mode then falls back to one VJP per stage.
 */
export class BatchStagesUnsupported extends Error {
  override readonly name = 'BatchStagesUnsupported';
}

/** What {@link batchedBackward} needs from the checkpointed adjoint's backward pass. */
export interface BatchedBackwardInput {
  problem: SolveProblem;
  tab: ButcherTableau;
  out: IntegrateOutput;
  store: CheckpointStore;
  fHost: HostField;
  argTensors: tf.Tensor[];
  args: unknown;
  argGrads: Float64Array[];
  vjpStep: (k: number, y: Float64Array, stages: FloatArray[] | undefined, vjps: StageVjps) => void;
}

/**
 * The backward pass with every stage Jacobian from a few batched calls (`batchStages`).
 *
 * 1. Rebuild every step's state and stage values (from the checkpoints) and the stage inputs
 *    `Y` (plus `y1` for Hermite rows): the points, `[P, N]`.
 * 2. One VJP over D copies of the points, copy i with the cotangent `e_i`, gives row i of every
 *    point's Jacobian (samples are independent); two more copies probe that assumption.
 * 3. Run the usual reverse recursion with `v = Jᵀ·ū` from those rows, recording each `ū`.
 * 4. One VJP over all points with the recorded `ū` gives the args gradient `Σ J_θᵀ ū`.
 */
export function batchedBackward(input: BatchedBackwardInput): void {
  // everything before step 3 may throw BatchStagesUnsupported without side effects
  if (input.out.steps.length === 0) return;
  const { problem, tab, out, store, fHost, argTensors, args, argGrads, vjpStep } = input;
  const { layout } = problem;
  const N = layout.size;
  const D = layout.width;
  const B = layout.batch;
  const nSteps = out.steps.length;
  const s = tab.c.length;
  const S = s + (tab.denseNeedsF1 ? 1 : 0);
  const nP = nSteps * S;

  // 1. states, stages and points
  const states: Float64Array[] = new Array(nSteps);
  const stages: FloatArray[][] = new Array(nSteps);
  const starts = store.steps().filter((k) => k < nSteps);
  starts.forEach((a, q) => {
    const b = q + 1 < starts.length ? (starts[q + 1] as number) : nSteps;
    const c = store.nearest(a);
    let y = store.state(c);
    const stored = store.stages(c);
    for (let k = a; k < b; k++) {
      const st = out.steps[k] as { t0: number; h: number };
      const kv = k === a && stored !== undefined ? stored.slice(0, s) : stagesAt(tab, fHost, st.t0, st.h, y);
      states[k] = y;
      stages[k] = kv;
      y = stageCombination(N, y, tab.b, kv, st.h);
    }
  });
  const points = new Float32Array(nP * N);
  for (let k = 0; k < nSteps; k++) {
    const st = out.steps[k] as { t0: number; h: number };
    const y = states[k] as Float64Array;
    const kv = stages[k] as FloatArray[];
    for (let q = 0; q < s; q++)
      points.set(stageCombination(N, y, tab.a[q] as readonly number[], kv, st.h), (k * S + q) * N);
    if (S > s) points.set(stageCombination(N, y, tab.b, kv, st.h), (k * S + s) * N);
  }

  // 2. One call over D + 2 copies of the points: copy i < D carries the cotangent e_i at every
  // point and sample (row i of every Jacobian, samples being independent); the last two carry a
  // cotangent on a single (point, sample) block, whose gradient must stay inside that block and
  // match the rows there — a field that couples samples or points fails this. The values of
  // copy 0 must equal the forward pass's stage values (a field that uses t fails this).
  const probes: [number, number][] = [
    [Math.floor(nP / 2), 0],
    [nP - 1, B - 1],
  ];
  const copies = D + probes.length;
  const block = nP * N;
  const stacked = new Float32Array(copies * block);
  const cot = new Float32Array(copies * block);
  for (let c = 0; c < copies; c++) stacked.set(points, c * block);
  for (let i = 0; i < D; i++) {
    for (let p = 0; p < nP; p++) for (let b = 0; b < B; b++) cot[i * block + p * N + b * D + i] = 1;
  }
  probes.forEach(([p, smp], k) => {
    for (let i = 0; i < D; i++) cot[(D + k) * block + p * N + smp * D + i] = 1;
  });
  const jac = batchedVjp(problem, args, argTensors, stacked, copies * nP, cot, false);
  checkValues(jac.value.subarray(0, block), stages, S, s, N);
  const rows = Array.from({ length: D }, (_, i) => jac.yGrad.subarray(i * block, (i + 1) * block));
  probes.forEach(([p, smp], k) => {
    const g = jac.yGrad.subarray((D + k) * block, (D + k + 1) * block);
    const lo = p * N + smp * D;
    for (let m = 0; m < block; m++) {
      const want = m >= lo && m < lo + D ? rows.reduce((acc, row) => acc + (row[m] as number), 0) : 0;
      if (!(Math.abs((g[m] as number) - want) <= 1e-6 + 1e-4 * Math.abs(want))) {
        throw new BatchStagesUnsupported(
          'recursiveCheckpointAdjoint({ batchStages: true }): the vector field couples different samples or stage points (a cotangent on one sample reaches another), so its Jacobian cannot be taken in batches. Drop batchStages.',
        );
      }
    }
  });
  const call = (c: Float32Array, withArgs: boolean) => batchedVjp(problem, args, argTensors, points, nP, c, withArgs);

  // 3. the reverse recursion, recording ū per point
  const U = new Float32Array(nP * N);
  let current = 0;
  const jt = (p: number, c: Float64Array): Float64Array => {
    const v = new Float64Array(N);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < D; i++) {
        const ci = c[b * D + i] as number;
        if (ci === 0) continue;
        const row = rows[i] as Float32Array;
        for (let j = 0; j < D; j++) v[b * D + j] = (v[b * D + j] as number) + ci * (row[p * N + b * D + j] as number);
      }
    }
    for (let m = 0; m < N; m++) U[p * N + m] = (U[p * N + m] as number) + (c[m] as number);
    return v;
  };
  const vjps: StageVjps = {
    stage: (q, _t, _Y, c) => jt(current * S + q, c),
    f1: (_t, _y1, c) => jt(current * S + s, c),
  };
  for (let k = nSteps - 1; k >= 0; k--) {
    current = k;
    vjpStep(k, states[k] as Float64Array, stages[k], vjps);
  }

  // 4. the args gradient in one call
  if (argTensors.length > 0) {
    const r = call(U, true);
    r.argGrads.forEach((g, j) => {
      if (g === undefined) return;
      const acc = argGrads[j] as Float64Array;
      for (let m = 0; m < acc.length; m++) acc[m] = (acc[m] as number) + (g[m] as number);
    });
  }
}

/** One VJP of the field over all points `[P, N]`, called with t = NaN (the field must not use t). */
function batchedVjp(
  problem: SolveProblem,
  args: unknown,
  argTensors: tf.Tensor[],
  points: Float32Array,
  nP: number,
  cot: Float32Array,
  withArgs: boolean,
): { value: Float32Array; yGrad: Float32Array; argGrads: (Float32Array | undefined)[] } {
  const { layout } = problem;
  const diff = differentiable(argTensors);
  const P = tf.tensor2d(points, [nP, layout.size]);
  const dy = tf.tensor2d(cot, [nP, layout.size]);
  try {
    const { value, grads } = engineGradients(
      () => {
        // merge the points into the leading (batch) axis: [P·B, ...] for batched leaves, else [P, ...]
        const merged = (shape: readonly number[]) =>
          shape.length >= 2 && shape[0] === layout.batch ? [nP * layout.batch, ...shape.slice(1)] : [nP, ...shape];
        const { leaves, treedef } = treeFlatten<tf.Tensor>(unpackRows(layout, P, nP));
        const yIn = treeUnflatten(
          treedef,
          leaves.map((l, i) => tf.reshape(l, merged(layout.shapes[i] as number[]))),
        );
        // t = NaN: a field that uses t (even slightly) gives NaN and fails the value check
        let dyTree: ReturnType<typeof problem.vectorField>;
        try {
          dyTree = problem.vectorField(Number.NaN, yIn, args);
        } catch (e) {
          throw new BatchStagesUnsupported(
            `recursiveCheckpointAdjoint({ batchStages: true }): the vector field failed on a batch of ${nP} stage points with t = NaN (${(e as Error).message}); it must ignore t and map over the leading axis. Drop batchStages.`,
          );
        }
        try {
          const outLeaves = treeFlatten<tf.Tensor>(dyTree).leaves.map((l, i) =>
            tf.reshape(l, [nP, ...(layout.shapes[i] as number[])]),
          );
          return cotangentRows(layout, treeUnflatten(treedef, outLeaves), nP);
        } catch (e) {
          throw new BatchStagesUnsupported(
            `recursiveCheckpointAdjoint({ batchStages: true }): the vector field did not map over a leading axis of ${nP} stage points (${(e as Error).message}); drop batchStages or make the field broadcast over leading axes.`,
          );
        }
      },
      withArgs ? [P, ...diff.map((j) => argTensors[j] as tf.Tensor)] : [P],
      dy,
    );
    const out = {
      value: value.dataSync().slice() as Float32Array,
      yGrad: (grads[0]?.dataSync().slice() as Float32Array | undefined) ?? new Float32Array(nP * layout.size),
      argGrads: withArgs
        ? argTensors.map((_, j) => {
            const n = diff.indexOf(j);
            return n < 0 ? undefined : (grads[1 + n]?.dataSync().slice() as Float32Array | undefined);
          })
        : [],
    };
    value.dispose();
    for (const g of grads) g?.dispose();
    return out;
  } finally {
    P.dispose();
    dy.dispose();
  }
}

/** Throws when the batched field values differ from the forward pass's stage values. */
function checkValues(value: Float32Array, stages: FloatArray[][], S: number, s: number, N: number): void {
  stages.forEach((kv, k) => {
    for (let q = 0; q < s; q++) {
      const want = kv[q] as Float32Array;
      const base = (k * S + q) * N;
      for (let m = 0; m < N; m++) {
        const a = value[base + m] as number;
        const b = want[m] as number;
        if (!(Math.abs(a - b) <= 1e-6 + 1e-5 * Math.abs(b))) {
          throw new BatchStagesUnsupported(
            `recursiveCheckpointAdjoint({ batchStages: true }): evaluating the vector field on a batch of stage points gives ${a} where the solve computed ${b} (step ${k}, stage ${q}); the field depends on t or does not treat the leading axis as independent samples. Drop batchStages.`,
          );
        }
      }
    }
  });
}

import type * as tf from '@tensorflow/tfjs-core';
import type { StepSizeController } from './controllers.js';
import { allFiniteOf, initialStepSize } from './error-norm.js';
import { stiffnessRatio } from './implicit/stiffness.js';
import type { LoopStep, LoopStorage } from './loop-storage.js';
import { nextAfter } from './next-after.js';
import type { SaveAt } from './save-at.js';
import type { DenseStep, SolveResult, SolveStats } from './solution.js';
import type { AbstractSolver, ImplicitStepStats } from './solver.js';

/** Where a saved row comes from: `y0`, the end of accepted step `step`, or its dense output at `theta`. */
/** With `saveAt({ sampleTs })`, `sample` is the batch sample whose values the row holds (a row `[W]`, not `[N]`). */
export type OutputSource =
  | { readonly kind: 'y0'; readonly sample?: number }
  | { readonly kind: 'end'; readonly step: number }
  | { readonly kind: 'interp'; readonly step: number; readonly theta: number; readonly sample?: number };

/** One accepted step, as the adjoints replay it. */
export interface AcceptedStep {
  readonly t0: number;
  readonly h: number;
  /**
   * Whether the step's first stage value is the previous accepted step's last evaluation
   * (FSAL, or the Hermite row `f(t1, y1)`) rather than a new call of the field.
   */
  readonly k1FromPrevious?: boolean;
}

/** What the loop needs. Tensors are borrowed. */
export interface IntegrateInput<V, D> {
  readonly storage: LoopStorage<V, D>;
  readonly solver: AbstractSolver;
  readonly controller: StepSizeController;
  readonly t0: number;
  readonly t1: number;
  readonly dt0: number | undefined;
  readonly y0: V;
  readonly batch: number;
  readonly saveat: SaveAt;
  readonly maxSteps: number;
  readonly progress: ((p: { t: number; fraction: number; numSteps: number }) => void) | undefined;
  /** Called after each accepted step with its index and new state (borrowed), e.g. to checkpoint. */
  readonly onAccept?: (step: number, y1: V, dense: D) => void;
}

/** What the loop returns; the caller owns `rows` and every dense step's rows. */
export interface IntegrateOutput {
  readonly ts: number[];
  /**
   * Saved rows `[nSaved, N]`, or undefined when nothing was saved. With `saveAt({ sampleTs })`:
   * rows `[nSaved, W]` (W the per-sample width), sample by sample, each sample's in time order.
   */
  readonly rows: tf.Tensor2D | undefined;
  /** With `saveAt({ sampleTs })`: sample `b`'s saved rows are `sampleOffsets[b] .. sampleOffsets[b + 1] - 1`. */
  readonly sampleOffsets?: Int32Array;
  readonly sources: OutputSource[];
  readonly steps: AcceptedStep[];
  readonly denseSteps: DenseStep[];
  /** The time the loop stopped at (t1 when successful). */
  readonly tEnd: number;
  readonly stats: SolveStats;
  readonly result: SolveResult;
  /** With `max_steps_reached` by an explicit solver on a host storage: `|h|·ρ(∂f/∂y)` at the end (≳ 1: stiff). */
  readonly stiffness?: number;
}

const MAX_NONFINITE_REJECTIONS = 40;

/** Sums an implicit step's Jacobian, LU and Newton counts into the stats. */
function addImplicitStats(stats: SolveStats, s: ImplicitStepStats): void {
  stats.numJacobianEvals = (stats.numJacobianEvals ?? 0) + s.numJacobianEvals;
  stats.numLuFactorisations = (stats.numLuFactorisations ?? 0) + s.numLuFactorisations;
  stats.numNewtonIterations = (stats.numNewtonIterations ?? 0) + s.numNewtonIterations;
}

/**
 * The one integrate loop: steps from `t0` to `t1` under the controller, saves through dense
 * output, keeps the stats. Synchronous; reads one error norm per step.
 */
export function integrate<V, D>(input: IntegrateInput<V, D>): IntegrateOutput {
  const { storage, solver, controller, t0, t1, y0, batch, saveat, maxSteps, progress, onAccept } = input;
  const dir = t1 >= t0 ? 1 : -1;
  const span = Math.abs(t1 - t0);
  const eps = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(t1));
  const adaptive = controller.adaptive && solver.errorOrder !== undefined;
  const errorOrder = solver.errorOrder ?? solver.order;

  const stats: SolveStats = { numSteps: 0, numAcceptedSteps: 0, numRejectedSteps: 0, numFnEvals: 0 };
  const ts: number[] = [];
  const blocks: V[] = [];
  const sources: OutputSource[] = [];
  const steps: AcceptedStep[] = [];
  const denseSteps: DenseStep[] = [];
  let result: SolveResult = 'successful';
  let t = t0;
  let y = y0;
  let fPrev: V | undefined;
  // Tensors of the step in flight, disposed if the vector field (or a progress callback) throws.
  let pending: LoopStep<V, D> | undefined;
  let pendingDone: { dense: D; f1: V } | undefined;
  try {
    if (saveat.t0) {
      ts.push(t0);
      blocks.push(storage.clone(y0));
      sources.push({ kind: 'y0' });
    }
    let tsIdx = 0;
    const saveTs = saveat.ts;
    while (tsIdx < saveTs.length && Math.abs((saveTs[tsIdx] as number) - t0) <= eps) {
      ts.push(saveTs[tsIdx] as number);
      blocks.push(storage.clone(y0));
      sources.push({ kind: 'y0' });
      tsIdx++;
    }

    // per-sample save times: each sample's next time, and where every saved row goes
    const sampleTs = saveat.sampleTs;
    const sIdx = new Int32Array(sampleTs?.length ?? 0);
    const W = sampleTs === undefined ? 0 : storage.values(y0).length / batch;
    if (sampleTs !== undefined) {
      const picked: number[] = [];
      sampleTs.forEach((list, b) => {
        let i = 0;
        while (i < list.length && Math.abs((list[i] as number) - t0) <= eps) {
          picked.push(b);
          ts.push(list[i] as number);
          sources.push({ kind: 'y0', sample: b });
          i++;
        }
        sIdx[b] = i;
      });
      if (picked.length > 0) blocks.push(storage.pickSamples(y0, Int32Array.from(picked), W));
    }

    let h: number;
    if (input.dt0 !== undefined) h = Math.abs(input.dt0);
    else if (span === 0) h = 0;
    else {
      const f0 = storage.f(t0, y0);
      fPrev = f0;
      stats.numFnEvals++;
      h = initialStepSize({
        y0: storage.values(y0),
        f0: storage.values(f0),
        fAt: (h0) => {
          const y = storage.axpy(y0, dir * h0, f0);
          const f1 = storage.f(t0 + dir * h0, y);
          const v = Array.from(storage.values(f1));
          storage.dispose(y);
          storage.dispose(f1);
          return v;
        },
        // implicit solvers: stiff components reduce the order to about the stage order + 1 (Hairer
        // & Wanner IV.15), and a step sized for order 5 jumped over Robertson's initial layer
        order: solver.implicit === true ? Math.min(solver.order, 3) : solver.order,
        rtol: controller.rtol,
        atol: controller.atol,
        batch,
      });
      stats.numFnEvals++;
    }
    if (controller.dtmax !== undefined) h = Math.min(h, controller.dtmax);
    if (controller.dtmin !== undefined) h = Math.max(h, controller.dtmin);
    const tol = { rtol: controller.rtol, atol: controller.atol, batch };
    let cstate = controller.initialState();
    let nonfiniteRejections = 0;
    let stepIdx = 0;
    let jumpIdx = 0;
    const stepTs = dir > 0 ? controller.stepTs : [...controller.stepTs].reverse();
    const jumpTs = dir > 0 ? controller.jumpTs : [...controller.jumpTs].reverse();

    while ((t1 - t) * dir > eps) {
      if (stats.numSteps >= maxSteps) {
        result = 'max_steps_reached';
        break;
      }
      let tNext = t + dir * h;
      if ((tNext - t1) * dir >= -eps) tNext = t1;
      while (stepIdx < stepTs.length && ((stepTs[stepIdx] as number) - t) * dir <= eps) stepIdx++;
      while (jumpIdx < jumpTs.length && ((jumpTs[jumpIdx] as number) - t) * dir <= eps) jumpIdx++;
      if (stepIdx < stepTs.length && (tNext - (stepTs[stepIdx] as number)) * dir > 0) tNext = stepTs[stepIdx] as number;
      // A discontinuity: end the step just before it and restart just after it (as Diffrax
      // does), so no stage evaluates the field exactly at the jump.
      let madeJump = false;
      let tAfter = tNext;
      if (jumpIdx < jumpTs.length && (tNext - (jumpTs[jumpIdx] as number)) * dir >= -eps) {
        const jump = jumpTs[jumpIdx] as number;
        tNext = nextAfter(jump, -dir);
        tAfter = nextAfter(jump, dir);
        madeJump = true;
      }
      const hh = tNext - t;
      const k1FromPrevious = fPrev !== undefined && stats.numAcceptedSteps > 0;
      const out = storage.step(t, hh, y, fPrev, adaptive, tol);
      pending = out;
      stats.numSteps++;
      stats.numFnEvals += out.nfe;
      if (out.implicitStats !== undefined) addImplicitStats(stats, out.implicitStats);
      let errNorm: number;
      if (adaptive && out.yError !== undefined) {
        errNorm = storage.errorNorm(y, out.y1, out.yError, controller.rtol, controller.atol, batch);
      } else errNorm = allFiniteOf(storage.values(out.y1)) ? 0 : Number.POSITIVE_INFINITY;
      storage.dispose(out.yError);
      const decision = controller.adapt(Math.abs(hh), errNorm, errorOrder, cstate);
      if (decision.accept) {
        nonfiniteRejections = 0;
        let rows = out.dense;
        let f1 = out.f1;
        const stepStart = tsIdx;
        while (tsIdx < saveTs.length && ((saveTs[tsIdx] as number) - tNext) * dir <= eps) tsIdx++;
        const nInStep = tsIdx - stepStart;
        // per-sample save times in this step: sample, time
        const inStep: number[] = [];
        if (sampleTs !== undefined) {
          sampleTs.forEach((list, b) => {
            let i = sIdx[b] as number;
            while (i < list.length && ((list[i] as number) - tNext) * dir <= eps) {
              inStep.push(b, list[i] as number);
              i++;
            }
            sIdx[b] = i;
          });
        }
        if (saveat.dense || nInStep > 0 || inStep.length > 0) {
          const done = storage.completeDense(tNext, out);
          pendingDone = done;
          if (done) {
            storage.disposeDense(rows);
            storage.dispose(f1);
            rows = done.dense;
            f1 = done.f1;
            stats.numFnEvals += done.nfe;
          }
        }
        onAccept?.(stats.numAcceptedSteps, out.y1, rows);
        if (nInStep > 0) {
          const r = storage.denseRows(rows);
          const w = new Float32Array(nInStep * r);
          for (let j = 0; j < nInStep; j++) {
            const tj = saveTs[stepStart + j] as number;
            const theta = Math.min(1, Math.max(0, (tj - t) / hh));
            weightsInto(solver, w, j * r, r, theta, hh);
            ts.push(tj);
            sources.push({ kind: 'interp', step: stats.numAcceptedSteps, theta });
          }
          blocks.push(storage.interp(rows, w, nInStep));
        }
        if (inStep.length > 0) {
          const m = inStep.length / 2;
          const r = storage.denseRows(rows);
          const w = new Float32Array(m * r);
          const samples = new Int32Array(m);
          for (let j = 0; j < m; j++) {
            const b = inStep[2 * j] as number;
            const tj = inStep[2 * j + 1] as number;
            const theta = Math.min(1, Math.max(0, (tj - t) / hh));
            weightsInto(solver, w, j * r, r, theta, hh);
            samples[j] = b;
            ts.push(tj);
            sources.push({ kind: 'interp', step: stats.numAcceptedSteps, theta, sample: b });
          }
          blocks.push(storage.interpSamples(rows, w, samples, W));
        }
        if (saveat.steps) {
          ts.push(tNext);
          blocks.push(storage.clone(out.y1));
          sources.push({ kind: 'end', step: stats.numAcceptedSteps });
        }
        if (saveat.dense) denseSteps.push({ t0: t, h: hh, rows: storage.denseToTensor(rows) });
        else storage.disposeDense(rows);
        steps.push(k1FromPrevious ? { t0: t, h: hh, k1FromPrevious } : { t0: t, h: hh });
        storage.dispose(fPrev);
        if (madeJump) {
          storage.dispose(f1);
          fPrev = undefined;
        } else fPrev = f1;
        if (y !== y0) storage.dispose(y);
        y = out.y1;
        t = tAfter;
        stats.numAcceptedSteps++;
        pending = undefined;
        pendingDone = undefined;
        progress?.({ t, fraction: span === 0 ? 1 : Math.abs(t - t0) / span, numSteps: stats.numSteps });
      } else {
        storage.dispose(out.y1);
        storage.disposeDense(out.dense);
        storage.dispose(out.f1);
        stats.numRejectedSteps++;
        pending = undefined;
        if (!Number.isFinite(errNorm)) {
          nonfiniteRejections++;
          if (!adaptive || nonfiniteRejections > MAX_NONFINITE_REJECTIONS) {
            result = 'nonfinite';
            break;
          }
        }
      }
      cstate = decision.state;
      if (decision.failure) {
        result = decision.failure;
        break;
      }
      h = decision.dtNext;
      if (decision.accept && out.maxGrowth !== undefined) h = Math.min(h, out.maxGrowth * Math.abs(hh));
      if (adaptive && out.nextStep !== undefined) {
        // the solver's own step-size rule (radau5), within the controller's bounds
        h = out.nextStep;
        if (controller.dtmax !== undefined) h = Math.min(h, controller.dtmax);
        if (controller.dtmin !== undefined) h = Math.max(h, controller.dtmin);
      }
      if (!(h > 1e-14 * Math.max(1, Math.abs(t)))) {
        result = nonfiniteRejections > 0 ? 'nonfinite' : 'dt_min_reached';
        break;
      }
    }
    if (saveat.dense && denseSteps.length === 0) {
      // No accepted step: keep y0 and f(t0, y0) so that evaluate(t0) and derivative(t0) answer.
      const f0 = storage.f(t0, y0);
      stats.numFnEvals++;
      const rows = storage.finish([storage.clone(y0), f0]) as tf.Tensor2D;
      denseSteps.push({ t0, h: 0, rows });
    }
  } catch (e) {
    // Leave nothing behind: the caller gets the error, not the tensors made so far.
    if (pending !== undefined) {
      storage.dispose(pending.y1);
      storage.dispose(pending.yError);
      storage.disposeDense(pending.dense);
      storage.dispose(pending.f1);
    }
    if (pendingDone !== undefined) {
      storage.disposeDense(pendingDone.dense);
      storage.dispose(pendingDone.f1);
    }
    storage.dispose(fPrev);
    if (y !== y0) storage.dispose(y);
    for (const b of blocks) storage.dispose(b);
    for (const d of denseSteps) d.rows.dispose();
    throw e;
  }
  storage.dispose(fPrev);
  if (result === 'successful' && saveat.t1) {
    ts.push(t1);
    blocks.push(storage.clone(y));
    sources.push(stats.numAcceptedSteps === 0 ? { kind: 'y0' } : { kind: 'end', step: stats.numAcceptedSteps - 1 });
  }
  let stiffness: number | undefined;
  if (result === 'max_steps_reached' && solver.implicit !== true && storage.host && steps.length > 0) {
    // why so many steps? a stability-limited explicit step size means a stiff problem
    const last = steps[steps.length - 1] as AcceptedStep;
    const fy = (tt: number, yy: Float64Array) => Float32Array.from(storage.values(storage.f(tt, yy as unknown as V)));
    stiffness = stiffnessRatio(fy, t, Float64Array.from(storage.values(y)), last.h);
  }
  if (y !== y0) storage.dispose(y);
  if (saveat.sampleTs !== undefined) {
    const W = storage.values(y0).length / batch;
    const order = bySample(ts, sources, batch);
    const rows = storage.finish(blocks, W, order.perm);
    return { ...order, rows, steps, denseSteps, tEnd: t, stats, result };
  }
  const rows = storage.finish(blocks, storage.values(y0).length);
  return {
    ts,
    rows,
    sources,
    steps,
    denseSteps,
    tEnd: t,
    stats,
    result,
    ...(stiffness !== undefined ? { stiffness } : {}),
  };
}

/** Writes the `r` dense-output weights at `theta` into `w` from `at` (no allocation where the solver allows). */
function weightsInto(solver: AbstractSolver, w: Float32Array, at: number, r: number, theta: number, h: number): void {
  if (solver.denseWeightsInto !== undefined) solver.denseWeightsInto(w, at, r, theta, h);
  else w.set(solver.denseWeights(theta, h, false).subarray(0, r), at);
}

/**
 * Per-sample saves come out in time order (step by step); the order `saveAt({ sampleTs })`
 * promises is sample by sample (each sample's in time order). Returns the saves' times and
 * sources in that order and `perm` (`perm[final row]` = row in time order), or no `perm` when
 * the orders agree.
 */
function bySample(
  ts: number[],
  sources: OutputSource[],
  batch: number,
): { ts: number[]; sources: OutputSource[]; sampleOffsets: Int32Array; perm?: Int32Array } {
  const sampleOffsets = new Int32Array(batch + 1);
  const sampleOf = (s: OutputSource) => (s.kind === 'end' ? 0 : (s.sample as number));
  for (const s of sources) sampleOffsets[sampleOf(s) + 1] = (sampleOffsets[sampleOf(s) + 1] as number) + 1;
  for (let b = 0; b < batch; b++)
    sampleOffsets[b + 1] = (sampleOffsets[b + 1] as number) + (sampleOffsets[b] as number);
  const next = sampleOffsets.slice(0, batch);
  const perm = new Int32Array(sources.length);
  let identity = true;
  sources.forEach((s, j) => {
    const b = sampleOf(s);
    const at = next[b] as number;
    next[b] = at + 1;
    perm[at] = j;
    if (at !== j) identity = false;
  });
  if (identity) return { ts, sources, sampleOffsets };
  return {
    ts: Array.from(perm, (j) => ts[j] as number),
    sources: Array.from(perm, (j) => sources[j] as OutputSource),
    sampleOffsets,
    perm,
  };
}

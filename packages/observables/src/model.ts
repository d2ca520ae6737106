import { hostImplementationOf, type TensorTree } from '@odekit/core';
import {
  type AbstractSolver,
  type Adjoint,
  diffeqsolve,
  pidController,
  recursiveCheckpointAdjoint,
  type SaveAt,
  type SolveStats,
  type StepSizeController,
  saveAt,
  tsit5,
} from '@odekit/solvers';
import * as tf from '@tensorflow/tfjs-core';
import { type BatchPlan, firstTime, type PointSelection, planBatch } from './batch-plan.js';
import type { Dataset } from './dataset.js';
import { channelScales } from './dataset-helpers.js';
import { ObservablesError } from './errors.js';
import {
  channelFactors,
  elementLoss,
  type LossOptions,
  lossKind,
  type ObservedArrays,
  observedArrays,
  sumInFloat64,
} from './loss.js';

/**
 * Default relative tolerance of a model's solves: tight enough that losses are smooth for line
 * searches (see the README); pass `stepsizeController` to change it.
 *
 * @example
 * ```ts
 * import { DEFAULT_ATOL, DEFAULT_RTOL } from '@odekit/observables';
 * if (DEFAULT_RTOL !== 1e-6 || DEFAULT_ATOL !== 1e-6) throw new Error('bad');
 * ```
 */
export const DEFAULT_RTOL = 1e-6;
/** Default absolute tolerance of a model's solves (see {@link DEFAULT_RTOL}). */
export const DEFAULT_ATOL = 1e-6;

/** What a model's solve uses; each is passed through to `diffeqsolve`. */
export interface SolveSettings {
  /** Default `tsit5()`. */
  readonly solver?: AbstractSolver;
  /** Default `pidController({ rtol: 1e-6, atol: 1e-6 })`: at rtol 1e-3 losses are jagged and L-BFGS stalls. */
  readonly stepsizeController?: StepSizeController;
  /** Default `recursiveCheckpointAdjoint()` (discretise-then-optimise). */
  readonly adjoint?: Adjoint;
  /** Default 16384. */
  readonly maxSteps?: number;
  /** Initial step (optional with an adaptive controller). */
  readonly dt0?: number;
  /** Start time of every trajectory (default: the dataset's first time). */
  readonly t0?: number;
  /**
   * Where trajectories start: `'shared'` (default) every one at `t0`; `'own'` each at its own
   * first time (its first row: `init: 'data'` takes that row). Still one batched solve: each
   * trajectory's times are shifted to start at 0, so the vector field must not depend on `t`
   * (it gets the time since the trajectory's start). Not combined with `t0`.
   */
  readonly starts?: 'shared' | 'own';
  /**
   * Defaults of `loss` and `losses`' options (each call's own options override them), e.g.
   * `{ normalize: { x: 100, y: 0.1 } }` so that every loss of the model weighs its channels alike
   * whatever their units.
   */
  readonly loss?: LossOptions;
}

/** What a model's vector field and observation functions get besides the state. */
export interface ModelContext<P> {
  /** The parameters (a tree of tensors: anything here gets gradients). */
  readonly params: P;
  /** The conditions, `[batch, nConditions]` in the model's condition order (`[batch, 0]` when none). */
  readonly c: tf.Tensor2D;
}

/** Everything a model is built from (shared by `observedModel` and `modelFromEquations`). @internal */
export interface ModelCore<P> {
  readonly who: string;
  readonly states: readonly string[];
  readonly conditions: readonly string[];
  /** The initial state `[batch, dim]` of the plan's trajectories. */
  initial(params: P, c: tf.Tensor2D, dataset: Dataset, plan: BatchPlan): tf.Tensor;
  /** The vector field on `[batch, dim]` states, args `{ params, c }` (compiled where it can be). */
  readonly field: (t: number, y: tf.Tensor, args: ModelContext<P>) => tf.Tensor;
  /** Observed channels `[points]` each, of states `[points, dim]` and conditions `[points, nCond]`. */
  observe(y: tf.Tensor2D, params: P, c: tf.Tensor2D): Readonly<Record<string, tf.Tensor>>;
  readonly settings: SolveSettings;
}

/** What `predict` returns: tensors of every kept point (trajectory-major), which the caller owns. */
export interface Prediction {
  /** Predicted channels, in this order. */
  readonly channels: readonly string[];
  /** `[points, channels]`. */
  readonly observations: tf.Tensor2D;
  /** `[points, states]`, hidden states included. */
  readonly states: tf.Tensor2D;
  /** Where each point comes from (trajectory index, time, row) and the solve's save times. */
  readonly plan: BatchPlan;
  /** The batched solve's counters. */
  readonly stats: SolveStats;
}

/** One trajectory's prediction as plain arrays (see `predictValues`). */
export interface TrajectoryPrediction {
  readonly id: string;
  readonly times: Float64Array;
  /** Per predicted channel. */
  readonly channels: Readonly<Record<string, Float64Array>>;
  /** Per state, hidden ones included. */
  readonly states: Readonly<Record<string, Float64Array>>;
}

/** Per-channel and per-trajectory losses (same normalisation as `loss`, weights not applied per channel). */
export interface LossReport {
  readonly total: number;
  readonly perChannel: Readonly<Record<string, number>>;
  readonly perTrajectory: Readonly<Record<string, number>>;
  /** Observed values the loss averaged over. */
  readonly count: number;
}

/**
 * A model `y(0) = g(params, c)`, `dy/dt = f(t, y, params, c)`, channels `h(y, params, c)`
 * (built by `observedModel` or `modelFromEquations`): predictions and losses over a whole
 * dataset in one batched solve.
 */
export interface ObservedModel<P extends TensorTree> {
  /** State names (hidden ones included), in state order. */
  readonly states: readonly string[];
  /** Condition names the model reads from datasets, in order. */
  readonly conditions: readonly string[];
  /**
   * Every trajectory at its own times (or at `times`), in one batched solve over trajectories
   * (their conditions as the batch), saved from dense output so irregular grids never shorten
   * steps. Differentiable in `params`; the caller owns the tensors.
   */
  predict(params: P, dataset: Dataset, options?: PointSelection): Prediction;
  /** {@link ObservedModel.predict} as plain arrays per trajectory (for plots and reports). */
  predictValues(params: P, dataset: Dataset, options?: PointSelection): TrajectoryPrediction[];
  /**
   * The masked loss over every observed value (missing values contribute nothing, not even a
   * NaN gradient): a float32 scalar the caller owns, differentiable in `params`; usable as
   * `fit`'s loss (`(p, _b, ctx) => model.loss(p, ds, { length: ctx.length })`).
   */
  loss(params: P, dataset: Dataset, options?: LossOptions): tf.Scalar;
  /** The loss split per channel and per trajectory, as numbers (no gradient). */
  losses(params: P, dataset: Dataset, options?: LossOptions): LossReport;
}

function conditionTensor(dataset: Dataset, conditions: readonly string[], who: string): tf.Tensor2D {
  for (const c of conditions) {
    if (!dataset.conditions.includes(c)) {
      throw new ObservablesError(
        `${who}: the model reads the condition '${c}', which the dataset does not have (its conditions: ${dataset.conditions.join(', ') || 'none'}).`,
      );
    }
  }
  const B = dataset.trajectories.length;
  const data = new Float32Array(B * conditions.length);
  dataset.trajectories.forEach((tr, b) => {
    conditions.forEach((c, j) => {
      data[b * conditions.length + j] = tr.conditions[c] as number;
    });
  });
  return tf.tensor2d(data, [B, conditions.length]);
}

/** Builds the {@link ObservedModel} methods around a {@link ModelCore}. @internal */
export function buildModel<P extends TensorTree>(core: ModelCore<P>): ObservedModel<P> {
  const { who, settings } = core;
  if (settings.starts !== undefined && settings.starts !== 'shared' && settings.starts !== 'own') {
    throw new ObservablesError(`${who}: 'starts' must be 'shared' or 'own', got ${JSON.stringify(settings.starts)}.`);
  }
  const ownStarts = settings.starts === 'own';
  if (ownStarts && settings.t0 !== undefined) {
    throw new ObservablesError(
      `${who}: 't0' = ${settings.t0} and starts: 'own' contradict each other (each trajectory starts at its first time); drop one.`,
    );
  }
  const plans = new WeakMap<Dataset, Map<string, BatchPlan>>();
  // per plan (so per dataset and selection): its saveAt and observed values, made once
  const planSaveAt = new WeakMap<BatchPlan, SaveAt>();
  const planObserved = new WeakMap<BatchPlan, ObservedArrays>();
  const planOf = (dataset: Dataset, sel: PointSelection, what: string): BatchPlan => {
    if (typeof dataset !== 'object' || dataset === null || !Array.isArray(dataset.trajectories)) {
      throw new ObservablesError(`${what}: 'dataset' must be a Dataset (createDataset or datasetFromCsv).`);
    }
    const key = JSON.stringify([sel.length, sel.points, sel.times]);
    let byKey = plans.get(dataset);
    if (byKey === undefined) {
      byKey = new Map();
      plans.set(dataset, byKey);
    }
    let plan = byKey.get(key);
    if (plan === undefined) {
      plan = planBatch(dataset, ownStarts ? 'own' : (settings.t0 ?? firstTime(dataset)), sel, what);
      if (byKey.size > 64) byKey.clear();
      byKey.set(key, plan);
    }
    return plan;
  };

  const saveAtOf = (plan: BatchPlan): SaveAt => {
    let s = planSaveAt.get(plan);
    if (s === undefined) {
      s = saveAt({ sampleTs: plan.sampleTs });
      planSaveAt.set(plan, s);
    }
    return s;
  };

  const predict = (params: P, dataset: Dataset, options: PointSelection = {}, what = `${who}.predict`): Prediction => {
    const plan = planOf(dataset, options, what);
    let stats: SolveStats | undefined;
    let channels: string[] = [];
    const out = tf.tidy(() => {
      const c = conditionTensor(dataset, core.conditions, what);
      const y0 = core.initial(params, c, dataset, plan);
      const dim = core.states.length;
      if (y0.shape.length !== 2 || y0.shape[0] !== plan.batch || y0.shape[1] !== dim) {
        throw new ObservablesError(
          `${what}: the initial state has shape [${y0.shape.join(', ')}]; it must be [${plan.batch}, ${dim}] (trajectories × states).`,
        );
      }
      const sol = diffeqsolve({
        term: core.field,
        solver: settings.solver ?? tsit5(),
        t0: plan.t0,
        t1: plan.t1,
        ...(settings.dt0 === undefined ? {} : { dt0: settings.dt0 }),
        y0,
        args: { params, c },
        // each trajectory saved at its own times only (not all at the union of every grid)
        saveat: saveAtOf(plan),
        stepsizeController: settings.stepsizeController ?? pidController({ rtol: DEFAULT_RTOL, atol: DEFAULT_ATOL }),
        adjoint: settings.adjoint ?? recursiveCheckpointAdjoint(),
        maxSteps: settings.maxSteps ?? 16384,
        // the model's own `compile` decides: a field it did not compile runs as written
        compile: hostImplementationOf(core.field) !== undefined,
      });
      stats = sol.stats;
      // [points, dim], trajectory by trajectory: the plan's point order
      const states = tf.reshape(sol.ys as tf.Tensor, [-1, dim]) as tf.Tensor2D;
      const cPoints = tf.gather(c, tf.tensor1d(plan.pointTrajectory, 'int32')) as tf.Tensor2D;
      const obs = core.observe(states, params, cPoints);
      channels = Object.keys(obs);
      const P = plan.gather.length;
      const cols = channels.map((ch) => {
        const v = obs[ch] as tf.Tensor;
        if (v.size === P) return tf.reshape(v, [P]);
        if (v.size === 1) return tf.add(tf.zeros([P]), tf.reshape(v, []));
        throw new ObservablesError(
          `${what}: channel '${ch}' of the observation has shape [${v.shape.join(', ')}]; it must be [points] (${P}) or a scalar.`,
        );
      });
      // stacked as rows then transposed: tfjs's cpu kernels (and the gradient's unstack) handle
      // contiguous rows far faster than strided columns
      const observations = (cols.length === 0 ? tf.zeros([P, 0]) : tf.transpose(tf.stack(cols, 0))) as tf.Tensor2D;
      return { observations, states };
    });
    return { channels, observations: out.observations, states: out.states, plan, stats: stats as SolveStats };
  };

  const lossParts = (params: P, dataset: Dataset, options: LossOptions, what: string) => {
    const { kind, delta } = lossKind(options, what);
    const factors = channelFactors(dataset, options, () => channelScales(dataset), what);
    const sel: PointSelection = {
      ...(options.length === undefined ? {} : { length: options.length }),
      ...(options.points === undefined ? {} : { points: options.points }),
    };
    const pred = predict(params, dataset, sel, what);
    let observed = planObserved.get(pred.plan);
    if (observed === undefined) {
      observed = observedArrays(dataset, pred.plan);
      planObserved.set(pred.plan, observed);
    }
    const { values, mask, count } = observed;
    return { kind, delta, factors, pred, values, mask, count };
  };

  const selectChannels = (pred: Prediction, dataset: Dataset, what: string): tf.Tensor2D => {
    const idx = dataset.channels.map((ch) => {
      const k = pred.channels.indexOf(ch);
      if (k < 0) {
        throw new ObservablesError(
          `${what}: the dataset's channel '${ch}' is not predicted; the model's channels are ${pred.channels.join(', ') || 'none'}.`,
        );
      }
      return k;
    });
    const same = idx.length === pred.channels.length && idx.every((k, j) => k === j);
    return same ? pred.observations : (tf.gather(pred.observations, tf.tensor1d(idx, 'int32'), 1) as tf.Tensor2D);
  };

  const withDefaults = (options: LossOptions): LossOptions =>
    settings.loss === undefined ? options : { ...settings.loss, ...options };
  const loss = (params: P, dataset: Dataset, given: LossOptions = {}): tf.Scalar => {
    const options = withDefaults(given);
    const what = `${who}.loss`;
    return tf.tidy(() => {
      const { kind, delta, factors, pred, values, mask, count } = lossParts(params, dataset, options, what);
      const nc = dataset.channels.length;
      const P = pred.plan.gather.length;
      const p = selectChannels(pred, dataset, what);
      const r = tf.sub(p, tf.tensor2d(values, [P, nc]));
      const e = elementLoss(tf.mul(r, tf.tensor1d(factors.invScale)), kind, delta);
      const masked = tf.mul(tf.mul(e, tf.tensor1d(factors.weight)), tf.tensor2d(mask, [P, nc]));
      return tf.div(sumInFloat64(masked), Math.max(count, 1)) as tf.Scalar;
    });
  };

  const losses = (params: P, dataset: Dataset, given: LossOptions = {}): LossReport => {
    const options = withDefaults(given);
    const what = `${who}.losses`;
    const { kind, delta, factors, pred, values, mask, count } = lossParts(params, dataset, options, what);
    const picked = selectChannels(pred, dataset, what);
    const p = picked.dataSync();
    if (picked !== pred.observations) picked.dispose();
    tf.dispose([pred.observations, pred.states]);
    const nc = dataset.channels.length;
    // per-channel losses: normalised, not weighted; the total and per-trajectory ones as `loss`
    const e = (x: number) =>
      kind === 'mse' ? x * x : Math.abs(x) <= delta ? 0.5 * x * x : delta * (Math.abs(x) - 0.5 * delta);
    const chSum = new Float64Array(nc);
    const chN = new Float64Array(nc);
    const trSum = new Float64Array(pred.plan.batch);
    const trN = new Float64Array(pred.plan.batch);
    let total = 0;
    for (let k = 0; k < p.length; k++) {
      if (mask[k] !== 1) continue;
      const j = k % nc;
      const b = pred.plan.pointTrajectory[Math.floor(k / nc)] as number;
      const ej = e(((p[k] as number) - (values[k] as number)) * (factors.invScale[j] as number));
      const ew = (factors.weight[j] as number) * ej;
      chSum[j] = (chSum[j] as number) + ej;
      chN[j] = (chN[j] as number) + 1;
      trSum[b] = (trSum[b] as number) + ew;
      trN[b] = (trN[b] as number) + 1;
      total += ew;
    }
    const mean = (s: number, n: number) => (n > 0 ? s / n : Number.NaN);
    return {
      total: total / Math.max(count, 1),
      count,
      perChannel: Object.fromEntries(dataset.channels.map((ch, j) => [ch, mean(chSum[j] as number, chN[j] as number)])),
      perTrajectory: Object.fromEntries(
        dataset.trajectories.map((tr, b) => [tr.id, mean(trSum[b] as number, trN[b] as number)]),
      ),
    };
  };

  const predictValues = (params: P, dataset: Dataset, options: PointSelection = {}): TrajectoryPrediction[] => {
    const pred = predict(params, dataset, options, `${who}.predictValues`);
    const obs = pred.observations.dataSync();
    const st = pred.states.dataSync();
    tf.dispose([pred.observations, pred.states]);
    const nc = pred.channels.length;
    const dim = core.states.length;
    return dataset.trajectories.map((tr, b) => {
      const from = pred.plan.offsets[b] as number;
      const to = pred.plan.offsets[b + 1] as number;
      const col = (src: Float32Array, width: number, j: number) => {
        const out = new Float64Array(to - from);
        for (let p = from; p < to; p++) out[p - from] = src[p * width + j] as number;
        return out;
      };
      return {
        id: tr.id,
        times: pred.plan.pointTime.slice(from, to),
        channels: Object.fromEntries(pred.channels.map((ch, j) => [ch, col(obs as Float32Array, nc, j)])),
        states: Object.fromEntries(core.states.map((s, j) => [s, col(st as Float32Array, dim, j)])),
      };
    });
  };

  return Object.freeze({
    states: core.states,
    conditions: core.conditions,
    predict: (params: P, dataset: Dataset, options?: PointSelection) => predict(params, dataset, options),
    predictValues,
    loss,
    losses,
  });
}

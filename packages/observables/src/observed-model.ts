import { compileField, type TensorTree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchPlan } from './batch-plan.js';
import type { Dataset } from './dataset.js';
import { ObservablesError } from './errors.js';
import { buildModel, type ModelContext, type ObservedModel, type SolveSettings } from './model.js';

/** How a model's initial state is made (see {@link ObservedModelOptions.init}). */
export type InitOption<P> =
  | readonly number[]
  | 'data'
  | { readonly fit: 'shared' | 'per-trajectory' }
  | ((params: P, c: tf.Tensor2D, ctx: InitContext) => tf.Tensor);

/** What an init function gets besides the parameters and conditions. */
export interface InitContext {
  /** Each batch row's trajectory index in the dataset, int32 `[batch]` (to gather per-trajectory values). */
  readonly trajectory: tf.Tensor1D;
  readonly dataset: Dataset;
}

/** Options of {@link observedModel}. */
export interface ObservedModelOptions<P extends TensorTree> extends SolveSettings {
  /** State names, in the order of the state's last axis (hidden states included). */
  readonly states: readonly string[];
  /** Condition names the model reads from datasets (default none): `c` is `[batch, conditions]`. */
  readonly conditions?: readonly string[];
  /**
   * The initial state `y(t0)`:
   * - numbers, one per state: fixed, shared by every trajectory;
   * - `'data'`: each trajectory's observation at `t0` of the channel named like each state;
   * - `{ fit: 'shared' }` / `{ fit: 'per-trajectory' }`: trainable, read from `params.initial`
   *   (`[states]`, or `[trajectories, states]` in the dataset's order);
   * - a function `g(params, c, ctx) → [batch, states]` (or `[states]`), e.g. a network of the conditions.
   */
  readonly init: InitOption<P>;
  /**
   * The vector field `f(t, y, { params, c }) → dy` on states `y` `[batch, states]`; write it with
   * tfjs ops (it runs through `compileField` when `compile` is on, as is the default).
   */
  readonly field: (t: number, y: tf.Tensor2D, ctx: ModelContext<P>) => tf.Tensor;
  /**
   * The observed channels `h(y, { params, c }) → { channel: [points] }` of states `[points,
   * states]` (default: every state observed by the channel of its name). States no channel
   * reads are hidden.
   */
  readonly observe?: (y: tf.Tensor2D, ctx: ModelContext<P>) => Readonly<Record<string, tf.Tensor>>;
  /** Run the field through `compileField` (default true; it falls back to tfjs ops by itself). */
  readonly compile?: boolean;
}

const KEYS = new Set([
  'states',
  'conditions',
  'init',
  'field',
  'observe',
  'compile',
  'solver',
  'stepsizeController',
  'adjoint',
  'maxSteps',
  'dt0',
  't0',
  'starts',
  'loss',
]);

/** Each trajectory's observation at t0 of the channel of each state's name, `[batch, dim]`. */
export function initialFromData(
  dataset: Dataset,
  plan: BatchPlan,
  states: readonly string[],
  who: string,
): Float32Array {
  const out = new Float32Array(plan.batch * states.length);
  dataset.trajectories.forEach((tr, b) => {
    states.forEach((s, j) => {
      const col = tr.values[s];
      if (col === undefined) {
        throw new ObservablesError(
          `${who}: the initial value of '${s}' comes from the data, but the dataset has no channel '${s}'; fit it instead.`,
        );
      }
      // with per-trajectory starts each starts at its first row
      const start = plan.starts?.[b] ?? plan.t0;
      const v = tr.times[0] === start ? (col[0] as number) : Number.NaN;
      if (Number.isNaN(v)) {
        throw new ObservablesError(
          `${who}: trajectory ${b} ('${tr.id}') has no '${s}' value at t0 = ${start}, which the initial state takes from the data; fit the initial value instead${plan.starts === undefined ? ", or start each trajectory at its first row (starts: 'own')" : ''}.`,
        );
      }
      out[b * states.length + j] = v;
    });
  });
  return out;
}

/**
 * A model `y(t0) = g(params, c)`, `dy/dt = f(t, y, { params, c })`, channels
 * `h(y, { params, c })` with hidden states, over datasets of trajectories with their own time
 * grids, missing values and conditions: `predict` solves every trajectory in one batched solve
 * (conditions and initial states as the batch), `loss` is a masked MSE or Huber loss usable as
 * `fit`'s loss. Solver, controller and adjoint pass through to `diffeqsolve` (defaults tsit5,
 * PID at rtol = atol = 1e-6, the checkpointed adjoint). Trainable values live in `params`, which
 * every function gets (never capture tensors in closures: they would get no gradient).
 *
 * @throws ObservablesError naming the option for bad options.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createDataset, observedModel } from '@odekit/observables';
 * const model = observedModel({
 *   states: ['x'], init: 'data',
 *   field: (_t, y, { params }: { params: { k: tf.Tensor } }) => tf.mul(tf.neg(params.k), y),
 * });
 * const ds = createDataset({ channels: ['x'], trajectories: [{ times: [0, 1, 2.5], values: { x: [1, Math.exp(-0.5), NaN] } }] });
 * const k = tf.scalar(0.5);
 * const loss = model.loss({ k }, ds);
 * if (loss.dataSync()[0]! > 1e-10) throw new Error(String(loss.dataSync()[0]));
 * tf.dispose([k, loss]);
 * ```
 */
export function observedModel<P extends TensorTree>(options: ObservedModelOptions<P>): ObservedModel<P> {
  const who = 'observedModel';
  if (typeof options !== 'object' || options === null) {
    throw new ObservablesError(`${who}: pass { states, init, field, observe?, ... }.`);
  }
  for (const k of Object.keys(options)) {
    if (!KEYS.has(k)) {
      throw new ObservablesError(`${who}: unknown option '${k}'; the options are ${[...KEYS].join(', ')}.`);
    }
  }
  const { states, conditions = [], init, field, observe, compile = true } = options;
  if (!Array.isArray(states) || states.length === 0 || states.some((s) => typeof s !== 'string' || s === '')) {
    throw new ObservablesError(`${who}: 'states' must be a non-empty array of names such as ['r', 'c'].`);
  }
  if (new Set(states).size !== states.length) throw new ObservablesError(`${who}: 'states' repeats a name.`);
  if (!Array.isArray(conditions) || conditions.some((s) => typeof s !== 'string' || s === '')) {
    throw new ObservablesError(`${who}: 'conditions' must be an array of names such as ['L'].`);
  }
  if (typeof field !== 'function')
    throw new ObservablesError(`${who}: 'field' must be a function (t, y, { params, c }) => dy.`);
  if (observe !== undefined && typeof observe !== 'function') {
    throw new ObservablesError(`${who}: 'observe' must be a function (y, { params, c }) => ({ channel: tensor }).`);
  }
  const dim = states.length;
  let initial: (params: P, c: tf.Tensor2D, dataset: Dataset, plan: BatchPlan) => tf.Tensor;
  if (Array.isArray(init)) {
    if (init.length !== dim || init.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new ObservablesError(
        `${who}: 'init' must hold ${dim} finite numbers (one per state), got ${JSON.stringify(init)}.`,
      );
    }
    const values = Float32Array.from(init as readonly number[]);
    initial = (_p, _c, _d, plan) => tf.tile(tf.tensor2d(values, [1, dim]), [plan.batch, 1]);
  } else if (init === 'data') {
    initial = (_p, _c, dataset, plan) =>
      tf.tensor2d(initialFromData(dataset, plan, states, `${who}.predict`), [plan.batch, dim]);
  } else if (typeof init === 'function') {
    initial = (params, c, dataset, plan) => {
      const y0 = init(params, c, { trajectory: tf.range(0, plan.batch, 1, 'int32') as tf.Tensor1D, dataset });
      if (!(y0 instanceof tf.Tensor))
        throw new ObservablesError(`${who}: 'init' must return a tensor [batch, states].`);
      return y0.shape.length === 1 ? tf.tile(tf.reshape(y0, [1, -1]), [plan.batch, 1]) : y0;
    };
  } else if (typeof init === 'object' && init !== null && 'fit' in init) {
    const perTrajectory = init.fit === 'per-trajectory';
    if (init.fit !== 'shared' && !perTrajectory) {
      throw new ObservablesError(
        `${who}: 'init.fit' must be 'shared' or 'per-trajectory', got ${JSON.stringify(init.fit)}.`,
      );
    }
    initial = (params, _c, _d, plan) => {
      const v = (params as { initial?: unknown }).initial;
      if (!(v instanceof tf.Tensor)) {
        throw new ObservablesError(
          `${who}: init { fit: '${init.fit}' } reads 'params.initial', a tensor [${perTrajectory ? 'trajectories, ' : ''}${dim}]; add it to params.`,
        );
      }
      const want = perTrajectory ? [plan.batch, dim] : [dim];
      if (v.shape.join() !== want.join()) {
        throw new ObservablesError(
          `${who}: 'params.initial' has shape [${v.shape.join(', ')}]; init { fit: '${init.fit}' } needs [${want.join(', ')}].`,
        );
      }
      return perTrajectory ? tf.clone(v) : tf.tile(tf.reshape(v, [1, dim]), [plan.batch, 1]);
    };
  } else {
    throw new ObservablesError(
      `${who}: 'init' must be numbers (one per state), 'data', { fit: 'shared' | 'per-trajectory' } or a function (params, c) => y0.`,
    );
  }
  const tensorField = (t: number, y: tf.Tensor, args: ModelContext<P>): tf.Tensor => field(t, y as tf.Tensor2D, args);
  const runField = compile ? compileField(tensorField) : tensorField;
  return buildModel<P>({
    who,
    states,
    conditions,
    initial,
    field: runField,
    observe: (y, params, c) => {
      if (observe === undefined) {
        // rows of the transpose: tfjs's cpu kernels slice strided columns element by element
        const cols = tf.unstack(tf.transpose(y));
        return Object.fromEntries(states.map((s, j) => [s, cols[j] as tf.Tensor]));
      }
      const out = observe(y, { params, c });
      if (typeof out !== 'object' || out === null || Object.values(out).some((v) => !(v instanceof tf.Tensor))) {
        throw new ObservablesError(`${who}: 'observe' must return an object of tensors by channel name.`);
      }
      return out;
    },
    settings: options,
  });
}

import * as tf from '@tensorflow/tfjs-core';
import type { BatchPlan, PointSelection } from './batch-plan.js';
import type { Dataset } from './dataset.js';
import { ObservablesError } from './errors.js';

/** Options of a model's `loss` and `losses`. */
export interface LossOptions extends Omit<PointSelection, 'times'> {
  /** `'mse'` (default): mean of squared residuals; `'huber'`: Huber's loss with `delta`. */
  readonly kind?: 'mse' | 'huber';
  /** Huber's threshold (default 1), in normalised units when `normalize` is on. */
  readonly delta?: number;
  /** Per-channel weights (default 1 each); a channel left out weighs 1. */
  readonly weights?: Readonly<Record<string, number>>;
  /**
   * Divide each channel's residuals by a scale: `true` uses `channelScales(dataset)` (the RMS of
   * its observed values), an object gives the scales. Default false.
   */
  readonly normalize?: boolean | Readonly<Record<string, number>>;
}

/** Host arrays of the observed values of a plan's points: `values` and `mask` are `[points, channels]`. */
export interface ObservedArrays {
  readonly values: Float32Array;
  readonly mask: Float32Array;
  readonly count: number;
}

/** The dataset's values at the plan's points (missing → value 0, mask 0: NaN never reaches a tensor). */
export function observedArrays(dataset: Dataset, plan: BatchPlan): ObservedArrays {
  const nc = dataset.channels.length;
  const P = plan.pointRow.length;
  const values = new Float32Array(P * nc);
  const mask = new Float32Array(P * nc);
  let count = 0;
  for (let p = 0; p < P; p++) {
    const tr = dataset.trajectories[plan.pointTrajectory[p] as number];
    const row = plan.pointRow[p] as number;
    if (tr === undefined || row < 0) continue;
    dataset.channels.forEach((ch, j) => {
      const v = tr.values[ch]?.[row] ?? Number.NaN;
      if (!Number.isNaN(v)) {
        values[p * nc + j] = v;
        mask[p * nc + j] = 1;
        count++;
      }
    });
  }
  return { values, mask, count };
}

/** Per-channel weights and inverse scales of residuals (validated): element loss = weight · e(residual · invScale). */
export function channelFactors(
  dataset: Dataset,
  options: LossOptions,
  scales: () => Record<string, number>,
  who: string,
): { weight: Float32Array; invScale: Float32Array } {
  const { weights = {}, normalize = false } = options;
  if (typeof weights !== 'object' || weights === null) {
    throw new ObservablesError(`${who}: 'weights' must be an object of numbers by channel.`);
  }
  for (const k of Object.keys(weights)) {
    if (!dataset.channels.includes(k)) {
      throw new ObservablesError(
        `${who}: 'weights' names '${k}', which is not a channel of the dataset (${dataset.channels.join(', ')}).`,
      );
    }
    const w = weights[k];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new ObservablesError(`${who}: 'weights.${k}' must be a finite number >= 0, got ${String(w)}.`);
    }
  }
  const s = normalize === true ? scales() : normalize === false || normalize === undefined ? {} : normalize;
  if (typeof s !== 'object' || s === null) {
    throw new ObservablesError(`${who}: 'normalize' must be true, false or an object of scales by channel.`);
  }
  const invScale = Float32Array.from(
    dataset.channels.map((ch) => {
      const scale = s[ch] ?? 1;
      if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
        throw new ObservablesError(
          `${who}: the scale of channel '${ch}' must be a finite number > 0, got ${String(scale)}.`,
        );
      }
      return 1 / scale;
    }),
  );
  return { weight: Float32Array.from(dataset.channels.map((ch) => weights[ch] ?? 1)), invScale };
}

/**
 * The elementwise loss of residuals `r` (already scaled): `r²` or Huber's `0.5 r²` / `δ(|r| − δ/2)`.
 * Both branches are finite for finite `r`, so masked entries contribute zero gradient.
 */
export function elementLoss(r: tf.Tensor, kind: 'mse' | 'huber', delta: number): tf.Tensor {
  if (kind === 'mse') return tf.square(r);
  // 0.5 q² + δ(|r| − q) with q = min(|r|, δ): the same values, and differentiable by the tape
  // (tfjs has no gradient for the comparison a `where` needs)
  const a = tf.abs(r);
  const q = tf.minimum(a, delta);
  return tf.add(tf.mul(0.5, tf.square(q)), tf.mul(delta, tf.sub(a, q)));
}

/** Checks `kind` and `delta`. */
export function lossKind(options: LossOptions, who: string): { kind: 'mse' | 'huber'; delta: number } {
  const { kind = 'mse', delta = 1 } = options;
  if (kind !== 'mse' && kind !== 'huber') {
    throw new ObservablesError(`${who}: 'kind' must be 'mse' or 'huber', got ${JSON.stringify(kind)}.`);
  }
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) {
    throw new ObservablesError(`${who}: 'delta' must be a finite number > 0, got ${String(delta)}.`);
  }
  return { kind, delta };
}

/**
 * The sum of every entry of `x`, added in float64 on the host in index order: the same number on
 * every backend (the wasm backend adds in float32 and in its own order, the cpu backend in float64
 * in index order, so their losses differ in the last bits and seeded runs part after a few
 * iterations). The gradient is `dy` broadcast to `x`'s shape. One read of `x` (a sync point).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sumInFloat64 } from '@odekit/observables';
 * const s = sumInFloat64(tf.tensor([0.1, 0.2, 0.3]));
 * if (Math.abs(s.dataSync()[0]! - 0.6) > 1e-6) throw new Error('bad');
 * s.dispose();
 * ```
 */
export function sumInFloat64(x: tf.Tensor): tf.Scalar {
  const forward = (a: tf.Tensor) => {
    const v = a.dataSync();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] as number;
    return { value: tf.scalar(s), gradFunc: (dy: tf.Tensor) => tf.mul(tf.onesLike(a), dy) };
  };
  return tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Scalar;
}

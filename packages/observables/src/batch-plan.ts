import type { Dataset } from './dataset.js';
import { ObservablesError } from './errors.js';

/** Which points of each trajectory a prediction or loss uses. */
export interface PointSelection {
  /** Keep each trajectory's points up to this fraction of its time span (continuum learning), in (0, 1]. */
  readonly length?: number;
  /** Keep at most this many first points of each trajectory (continuum learning). */
  readonly points?: number;
  /** Predict every trajectory at these times instead of its own (no data then). */
  readonly times?: readonly number[];
}

/**
 * The host-side plan of one batched solve: each trajectory's save times (the solve saves every
 * trajectory at its own times only, `saveAt({ sampleTs })`), so its saved states are the kept
 * points in order (trajectory-major), and the union of the times.
 */
export interface BatchPlan {
  /** Where the solve starts (0 with per-trajectory starts: each trajectory's times are then shifted by its start). */
  readonly t0: number;
  readonly t1: number;
  /** With per-trajectory starts (`starts: 'own'`): each trajectory's first time, which its solve time 0 stands for. */
  readonly starts?: Float64Array;
  /** Sorted, distinct save times (every kept point's time). */
  readonly saveTs: readonly number[];
  /** Per trajectory, its kept points' times in solve time (the solve's per-sample save times). */
  readonly sampleTs: readonly (readonly number[])[];
  readonly batch: number;
  /** Per point: trajectory index, time, row in the trajectory's own times (-1 with `times`). */
  readonly pointTrajectory: Int32Array;
  readonly pointTime: Float64Array;
  readonly pointRow: Int32Array;
  /** Per point: `saveIndex * batch + trajectory`, its row in states saved at the union `saveTs` (`[saveTs, batch]` flattened). */
  readonly gather: Int32Array;
  /** Trajectory `i`'s points are `offsets[i] .. offsets[i + 1] - 1`. */
  readonly offsets: Int32Array;
}

/**
 * Builds the {@link BatchPlan} of `dataset` from `t0` (checked: no point before `t0`), or with
 * `t0 = 'own'` each trajectory from its own first time (solve times shifted to start at 0).
 */
export function planBatch(
  dataset: Dataset,
  start: number | 'own',
  selection: PointSelection = {},
  who = 'predict',
): BatchPlan {
  const { length, points, times } = selection;
  const own = start === 'own';
  const t0 = own ? 0 : start;
  if (length !== undefined && !(typeof length === 'number' && length > 0 && length <= 1)) {
    throw new ObservablesError(`${who}: 'length' must be a fraction in (0, 1], got ${String(length)}.`);
  }
  if (points !== undefined && !(Number.isInteger(points) && points >= 1)) {
    throw new ObservablesError(`${who}: 'points' must be an integer >= 1, got ${String(points)}.`);
  }
  if (times !== undefined) {
    if (!Array.isArray(times) || times.length === 0) {
      throw new ObservablesError(`${who}: 'times' must be a non-empty array of increasing numbers.`);
    }
    times.forEach((t, k) => {
      if (
        typeof t !== 'number' ||
        !Number.isFinite(t) ||
        (!own && t < t0) ||
        (k > 0 && t <= (times[k - 1] as number))
      ) {
        throw new ObservablesError(
          `${who}: 'times[${k}]' = ${String(t)}; times must be finite, increasing and not before t0 = ${t0}.`,
        );
      }
    });
  }
  const batch = dataset.trajectories.length;
  const starts = own ? Float64Array.from(dataset.trajectories, (tr) => tr.times[0] as number) : undefined;
  const trajIdx: number[] = [];
  const pointTimes: number[] = [];
  const rows: number[] = [];
  const offsets = new Int32Array(batch + 1);
  dataset.trajectories.forEach((tr, i) => {
    offsets[i] = trajIdx.length;
    if (times !== undefined) {
      for (const t of times) {
        if (starts !== undefined && t < (starts[i] as number)) {
          throw new ObservablesError(
            `${who}: 'times' has ${t}, before trajectory ${i} ('${tr.id}') starts (t = ${starts[i]}); with per-trajectory starts ask only for times after every start.`,
          );
        }
        trajIdx.push(i);
        pointTimes.push(t);
        rows.push(-1);
      }
      return;
    }
    const n = tr.times.length;
    const first = tr.times[0] as number;
    if (!own && first < t0) {
      throw new ObservablesError(
        `${who}: trajectory ${i} ('${tr.id}') starts at t = ${first}, before the model's t0 = ${t0}; pass an earlier t0.`,
      );
    }
    const last = tr.times[n - 1] as number;
    const from = own ? first : t0;
    const tMax = length === undefined ? last : from + length * (last - from);
    const keep = Math.min(points ?? n, n);
    for (let k = 0; k < keep; k++) {
      const t = tr.times[k] as number;
      if (k > 0 && t > tMax) break;
      trajIdx.push(i);
      pointTimes.push(t);
      rows.push(k);
    }
  });
  offsets[batch] = trajIdx.length;
  // solve times: shifted by each trajectory's start with per-trajectory starts
  const solveTimes =
    starts === undefined ? pointTimes : pointTimes.map((t, p) => t - (starts[trajIdx[p] as number] as number));
  const saveTs = [...new Set(solveTimes)].sort((a, b) => a - b);
  const where = new Map(saveTs.map((t, u) => [t, u]));
  const gather = new Int32Array(trajIdx.length);
  trajIdx.forEach((b, p) => {
    gather[p] = (where.get(solveTimes[p] as number) as number) * batch + b;
  });
  return {
    t0,
    t1: saveTs[saveTs.length - 1] ?? t0,
    saveTs,
    sampleTs: Array.from({ length: batch }, (_, i) => solveTimes.slice(offsets[i], offsets[i + 1])),
    ...(starts === undefined ? {} : { starts }),
    batch,
    pointTrajectory: Int32Array.from(trajIdx),
    pointTime: Float64Array.from(pointTimes),
    pointRow: Int32Array.from(rows),
    gather,
    offsets,
  };
}

/** The first time of the dataset (the default t0 of a model). */
export function firstTime(dataset: Dataset): number {
  return Math.min(...dataset.trajectories.map((t) => t.times[0] as number));
}

import { DatasetError } from './errors.js';

/** One trajectory of a {@link Dataset}: its own strictly increasing times, values, conditions. */
export interface Trajectory {
  /** A name unique in the dataset (from the CSV's trajectory column, or `'0'`, `'1'`, …). */
  readonly id: string;
  /** Strictly increasing, finite times (float64). */
  readonly times: Float64Array;
  /** One column per channel, as long as `times`; `NaN` marks a missing value. */
  readonly values: Readonly<Record<string, Float64Array>>;
  /** One finite number per condition name of the dataset (e.g. the latitude `L`). */
  readonly conditions: Readonly<Record<string, number>>;
}

/** Trajectories of observed channels with their conditions (frozen; build with {@link createDataset}). */
export interface Dataset {
  /** Observed channel names, in column order. */
  readonly channels: readonly string[];
  /** Condition names (per-trajectory covariates), in order. */
  readonly conditions: readonly string[];
  readonly trajectories: readonly Trajectory[];
}

/** One trajectory as {@link createDataset} takes it. */
export interface TrajectoryInput {
  /** Default: its index as a string. */
  readonly id?: string;
  readonly times: ArrayLike<number>;
  /** Per channel, one value per time; `NaN`, `null` or `undefined` (or an absent channel) is missing. */
  readonly values?: Readonly<Record<string, ArrayLike<number | null | undefined>>>;
  /** One finite number per condition of the dataset. */
  readonly conditions?: Readonly<Record<string, number>>;
}

/** What {@link createDataset} takes. */
export interface DatasetInput {
  readonly channels: readonly string[];
  readonly conditions?: readonly string[];
  readonly trajectories: readonly TrajectoryInput[];
}

const where = (i: number, id: string): string => `trajectory ${i} ('${id}')`;

function checkNames(names: unknown, what: 'channels' | 'conditions'): string[] {
  if (!Array.isArray(names)) {
    throw new DatasetError(`createDataset: '${what}' must be an array of names such as ['r', 'c'].`);
  }
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (typeof n !== 'string' || n.length === 0) {
      throw new DatasetError(`createDataset: '${what}[${i}]' must be a non-empty string, got ${JSON.stringify(n)}.`);
    }
    if (seen.has(n)) throw new DatasetError(`createDataset: '${what}' names '${n}' twice; names must be distinct.`);
    seen.add(n);
  });
  return [...names] as string[];
}

/**
 * Builds and validates a {@link Dataset}: every trajectory has strictly increasing finite times,
 * one value per time for each channel it gives (missing: `NaN`, `null`, `undefined`, or the
 * channel left out), and one finite value per condition; every channel is observed somewhere.
 * Values are copied into `Float64Array`s and the result is frozen.
 *
 * @throws DatasetError naming the trajectory (index and id), row and channel of the first problem.
 * @example
 * ```ts
 * import { createDataset } from '@odekit/observables';
 * const ds = createDataset({
 *   channels: ['r'], conditions: ['L'],
 *   trajectories: [{ id: 'north', times: [0, 0.5, 2], values: { r: [1, null, 0.4] }, conditions: { L: 0.9 } }],
 * });
 * if (!Number.isNaN(ds.trajectories[0]!.values.r![1]!)) throw new Error('bad');
 * ```
 */
export function createDataset(input: DatasetInput): Dataset {
  if (typeof input !== 'object' || input === null) {
    throw new DatasetError('createDataset: pass { channels, conditions?, trajectories }.');
  }
  const channels = checkNames(input.channels, 'channels');
  const conditions = checkNames(input.conditions ?? [], 'conditions');
  if (channels.length === 0) throw new DatasetError("createDataset: 'channels' is empty; name at least one channel.");
  for (const c of conditions) {
    if (channels.includes(c)) {
      throw new DatasetError(`createDataset: '${c}' is both a channel and a condition; rename one of them.`);
    }
  }
  if (!Array.isArray(input.trajectories) || input.trajectories.length === 0) {
    throw new DatasetError("createDataset: 'trajectories' must be a non-empty array.");
  }
  const ids = new Set<string>();
  const observed = new Set<string>();
  const trajectories = input.trajectories.map((tr: TrajectoryInput, i): Trajectory => {
    if (typeof tr !== 'object' || tr === null) {
      throw new DatasetError(`createDataset: trajectory ${i} must be an object { times, values, conditions }.`, i);
    }
    const id = tr.id ?? String(i);
    if (typeof id !== 'string') throw new DatasetError(`createDataset: trajectory ${i} has a non-string id.`, i);
    if (ids.has(id)) throw new DatasetError(`createDataset: ${where(i, id)} repeats an id; ids must be distinct.`, i);
    ids.add(id);
    const rawTimes = tr.times as ArrayLike<unknown> | undefined;
    if (rawTimes === undefined || rawTimes === null || typeof (rawTimes as { length?: unknown }).length !== 'number') {
      throw new DatasetError(`createDataset: ${where(i, id)} has no 'times' array.`, i);
    }
    const n = rawTimes.length;
    if (n === 0) throw new DatasetError(`createDataset: ${where(i, id)} has no times; give it at least one.`, i);
    const times = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const t = rawTimes[k];
      if (typeof t !== 'number' || !Number.isFinite(t)) {
        throw new DatasetError(`createDataset: ${where(i, id)}, row ${k}: the time ${String(t)} is not finite.`, i, k);
      }
      if (k > 0 && t <= (times[k - 1] as number)) {
        throw new DatasetError(
          `createDataset: ${where(i, id)}, row ${k}: times must increase strictly, but ${t} follows ${times[k - 1]}; sort the rows or drop the duplicate.`,
          i,
          k,
        );
      }
      times[k] = t;
    }
    const values: Record<string, Float64Array> = {};
    const given = tr.values ?? {};
    if (typeof given !== 'object' || given === null) {
      throw new DatasetError(`createDataset: ${where(i, id)}: 'values' must be an object of columns by channel.`, i);
    }
    for (const name of Object.keys(given)) {
      if (!channels.includes(name)) {
        throw new DatasetError(
          `createDataset: ${where(i, id)} has values for '${name}', which is not a channel; channels are ${channels.join(', ')}.`,
          i,
          undefined,
          name,
        );
      }
    }
    for (const ch of channels) {
      const col = new Float64Array(n).fill(Number.NaN);
      const src = (given as Record<string, ArrayLike<unknown>>)[ch];
      if (src !== undefined) {
        if (src === null || typeof (src as { length?: unknown }).length !== 'number') {
          throw new DatasetError(
            `createDataset: ${where(i, id)}, channel '${ch}': values must be an array.`,
            i,
            undefined,
            ch,
          );
        }
        if (src.length !== n) {
          throw new DatasetError(
            `createDataset: ${where(i, id)}, channel '${ch}' has ${src.length} values for ${n} times; give one per time (NaN or null when missing).`,
            i,
            undefined,
            ch,
          );
        }
        for (let k = 0; k < n; k++) {
          const v = src[k];
          if (v === null || v === undefined) continue;
          if (typeof v !== 'number' || v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
            throw new DatasetError(
              `createDataset: ${where(i, id)}, row ${k}, channel '${ch}': ${String(v)} is not a finite number (use NaN or null for a missing value).`,
              i,
              k,
              ch,
            );
          }
          col[k] = v;
          if (!Number.isNaN(v)) observed.add(ch);
        }
      }
      values[ch] = col;
    }
    const conds: Record<string, number> = {};
    const givenConds = tr.conditions ?? {};
    for (const name of Object.keys(givenConds)) {
      if (!conditions.includes(name)) {
        throw new DatasetError(
          `createDataset: ${where(i, id)} has the condition '${name}', which the dataset does not list in 'conditions'.`,
          i,
          undefined,
          name,
        );
      }
    }
    for (const c of conditions) {
      const v = (givenConds as Record<string, unknown>)[c];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new DatasetError(
          `createDataset: ${where(i, id)}: condition '${c}' is ${String(v)}; every trajectory needs a finite value for every condition.`,
          i,
          undefined,
          c,
        );
      }
      conds[c] = v;
    }
    return Object.freeze({ id, times, values: Object.freeze(values), conditions: Object.freeze(conds) });
  });
  for (const ch of channels) {
    if (!observed.has(ch)) {
      throw new DatasetError(
        `createDataset: channel '${ch}' is never observed (all its values are missing); drop it or give it data.`,
        undefined,
        undefined,
        ch,
      );
    }
  }
  return Object.freeze({
    channels: Object.freeze(channels),
    conditions: Object.freeze(conditions),
    trajectories: Object.freeze(trajectories),
  });
}

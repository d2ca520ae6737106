import { createRng } from '@odekit/core';
import { createDataset, type Dataset, type Trajectory } from './dataset.js';
import { ObservablesError } from './errors.js';

const rebuild = (dataset: Dataset, trajectories: readonly Trajectory[]): Dataset =>
  createDataset({
    channels: dataset.channels,
    conditions: dataset.conditions,
    trajectories: trajectories.map((t) => ({ id: t.id, times: t.times, values: t.values, conditions: t.conditions })),
  });

/**
 * The RMS of each channel's observed values (the scale `loss({ normalize: true })` divides
 * residuals by); 1 for a channel whose observed values are all 0.
 *
 * @example
 * ```ts
 * import { channelScales, createDataset } from '@odekit/observables';
 * const ds = createDataset({ channels: ['r'], trajectories: [{ times: [0, 1], values: { r: [3, NaN] } }] });
 * if (channelScales(ds).r !== 3) throw new Error('bad');
 * ```
 */
export function channelScales(dataset: Dataset): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ch of dataset.channels) {
    let sum = 0;
    let n = 0;
    for (const tr of dataset.trajectories) {
      for (const v of tr.values[ch] ?? []) {
        if (!Number.isNaN(v)) {
          sum += v * v;
          n++;
        }
      }
    }
    const rms = Math.sqrt(sum / Math.max(n, 1));
    out[ch] = rms > 0 && Number.isFinite(rms) ? rms : 1;
  }
  return out;
}

/**
 * The first part of every trajectory, for continuum (curriculum) learning on growing prefixes:
 * `{ fraction }` keeps the points up to that fraction of each trajectory's time span, `{ points }`
 * the first that many points (always at least one). A channel left unobserved by the cut makes
 * a {@link DatasetError}; models' `loss(…, { length })` cuts without building a dataset.
 *
 * @throws ObservablesError for a fraction outside (0, 1] or a count below 1.
 * @example
 * ```ts
 * import { createDataset, datasetPrefix } from '@odekit/observables';
 * const ds = createDataset({ channels: ['r'], trajectories: [{ times: [0, 1, 2, 4], values: { r: [1, 2, 3, 4] } }] });
 * if (datasetPrefix(ds, { fraction: 0.5 }).trajectories[0]!.times.length !== 3) throw new Error('bad');
 * if (datasetPrefix(ds, { points: 1 }).trajectories[0]!.times.length !== 1) throw new Error('bad');
 * ```
 */
export function datasetPrefix(dataset: Dataset, cut: { fraction: number } | { points: number }): Dataset {
  const fraction = 'fraction' in cut ? cut.fraction : undefined;
  const points = 'points' in cut ? cut.points : undefined;
  if (fraction !== undefined && !(typeof fraction === 'number' && fraction > 0 && fraction <= 1)) {
    throw new ObservablesError(`datasetPrefix: 'fraction' must be in (0, 1], got ${String(fraction)}.`);
  }
  if (points !== undefined && !(Number.isInteger(points) && points >= 1)) {
    throw new ObservablesError(`datasetPrefix: 'points' must be an integer >= 1, got ${String(points)}.`);
  }
  if (fraction === undefined && points === undefined) {
    throw new ObservablesError('datasetPrefix: pass { fraction } or { points }.');
  }
  return rebuild(
    dataset,
    dataset.trajectories.map((tr) => {
      const t0 = tr.times[0] as number;
      const tEnd = tr.times[tr.times.length - 1] as number;
      let n = tr.times.length;
      if (fraction !== undefined) {
        const tMax = t0 + fraction * (tEnd - t0);
        n = Math.max(1, tr.times.findIndex((t) => t > tMax) < 0 ? n : tr.times.findIndex((t) => t > tMax));
      }
      if (points !== undefined) n = Math.min(n, points);
      return {
        ...tr,
        times: tr.times.slice(0, n),
        values: Object.fromEntries(Object.entries(tr.values).map(([k, v]) => [k, v.slice(0, n)])),
      };
    }),
  );
}

/**
 * Splits trajectories (not points) into a training and a test set, seeded: `test` is a
 * fraction in (0, 1) or a count. Both parts keep the dataset's order.
 *
 * @throws ObservablesError when either part would be empty.
 * @example
 * ```ts
 * import { createDataset, splitDataset } from '@odekit/observables';
 * const ds = createDataset({ channels: ['r'], trajectories: [0, 1, 2, 3].map((i) => ({ times: [0], values: { r: [i] } })) });
 * const { train, test } = splitDataset(ds, { test: 0.25, seed: 1 });
 * if (train.trajectories.length !== 3 || test.trajectories.length !== 1) throw new Error('bad');
 * ```
 */
export function splitDataset(
  dataset: Dataset,
  options: { test: number; seed?: number },
): { train: Dataset; test: Dataset } {
  const { test, seed = 0 } = options;
  const n = dataset.trajectories.length;
  const k = test > 0 && test < 1 ? Math.round(test * n) : test;
  if (!Number.isInteger(k) || k < 1 || k >= n) {
    throw new ObservablesError(
      `splitDataset: 'test' = ${String(test)} gives ${String(k)} of ${n} trajectories for testing; both parts need at least one.`,
    );
  }
  const rng = createRng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const testSet = new Set(order.slice(0, k));
  const pick = (inTest: boolean) => dataset.trajectories.filter((_, i) => testSet.has(i) === inTest);
  return { train: rebuild(dataset, pick(false)), test: rebuild(dataset, pick(true)) };
}

/**
 * The trajectories whose ids are listed, in the listed order.
 *
 * @throws ObservablesError naming an id the dataset does not have.
 * @example
 * ```ts
 * import { createDataset, selectTrajectories } from '@odekit/observables';
 * const ds = createDataset({ channels: ['r'], trajectories: [{ id: 'a', times: [0], values: { r: [1] } }, { id: 'b', times: [0], values: { r: [2] } }] });
 * if (selectTrajectories(ds, ['b']).trajectories[0]!.id !== 'b') throw new Error('bad');
 * ```
 */
export function selectTrajectories(dataset: Dataset, ids: readonly string[]): Dataset {
  const byId = new Map(dataset.trajectories.map((t) => [t.id, t]));
  return rebuild(
    dataset,
    ids.map((id) => {
      const t = byId.get(id);
      if (t === undefined) throw new ObservablesError(`selectTrajectories: the dataset has no trajectory '${id}'.`);
      return t;
    }),
  );
}

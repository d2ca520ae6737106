import { describe, expect, it } from 'vitest';
import { createDataset, type DatasetInput } from './dataset.js';
import { channelScales, datasetPrefix, selectTrajectories, splitDataset } from './dataset-helpers.js';
import { DatasetError, ObservablesError } from './errors.js';

const base = (): DatasetInput => ({
  channels: ['r', 'c'],
  conditions: ['L'],
  trajectories: [
    { id: 'a', times: [0, 1, 2, 4], values: { r: [1, 2, 3, 4], c: [NaN, 1, null, 2] }, conditions: { L: 0.5 } },
    { id: 'b', times: [0, 3], values: { r: [2, -2] }, conditions: { L: 0 } },
  ],
});

const problem = (change: (d: { trajectories: Record<string, unknown>[] } & Record<string, unknown>) => void) => {
  const d = structuredClone(base()) as unknown as { trajectories: Record<string, unknown>[] } & Record<string, unknown>;
  change(d);
  try {
    createDataset(d as unknown as DatasetInput);
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('no error');
};

describe('createDataset', () => {
  it('copies values into Float64Arrays, missing as NaN, and freezes', () => {
    const ds = createDataset(base());
    expect(Object.isFrozen(ds) && Object.isFrozen(ds.trajectories[0])).toBe(true);
    expect(Array.from(ds.trajectories[1]?.values.c ?? []).every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(ds.trajectories[0]?.values.c?.[2] as number)).toBe(true);
  });

  it('names trajectory, row and channel of each problem', () => {
    let e = problem((d) => {
      (d.trajectories[0] as { times: number[] }).times = [0, 1, 1, 4];
    });
    expect([e.trajectory, e.row]).toEqual([0, 2]);
    expect(e.message).toMatch(/trajectory 0 \('a'\), row 2: times must increase strictly/);
    e = problem((d) => {
      (d.trajectories[1] as { times: number[] }).times = [0, Number.NaN];
    });
    expect([e.trajectory, e.row, e.message]).toEqual([1, 1, expect.stringMatching(/not finite/)]);
    e = problem((d) => {
      (d.trajectories[1] as { values: Record<string, number[]> }).values.r = [1, 2, 3];
    });
    expect([e.trajectory, e.channel, e.message]).toEqual([1, 'r', expect.stringMatching(/3 values for 2 times/)]);
    e = problem((d) => {
      (d.trajectories[0] as { values: Record<string, number[]> }).values.r = [1, Number.POSITIVE_INFINITY, 3, 4];
    });
    expect([e.trajectory, e.row, e.channel]).toEqual([0, 1, 'r']);
    e = problem((d) => {
      (d.trajectories[1] as { conditions: Record<string, number> }).conditions.L = Number.NaN;
    });
    expect([e.trajectory, e.channel, e.message]).toEqual([1, 'L', expect.stringMatching(/condition 'L' is NaN/)]);
    e = problem((d) => {
      (d.trajectories[0] as { values: Record<string, unknown> }).values.c = [null, null, null, null];
    });
    expect([e.channel, e.message]).toEqual(['c', expect.stringMatching(/never observed/)]);
    e = problem((d) => {
      (d.trajectories[0] as { values: Record<string, unknown> }).values.z = [1, 1, 1, 1];
    });
    expect(e.message).toMatch(/'z', which is not a channel/);
    e = problem((d) => {
      (d.trajectories[1] as { id: string }).id = 'a';
    });
    expect(e.message).toMatch(/repeats an id/);
    e = problem((d) => {
      d.channels = ['r', 'r'];
    });
    expect(e.message).toMatch(/names 'r' twice/);
    e = problem((d) => {
      d.conditions = ['L', 'r'];
    });
    expect(e.message).toMatch(/both a channel and a condition/);
    e = problem((d) => {
      (d.trajectories[0] as { times: number[] }).times = [];
    });
    expect(e.message).toMatch(/has no times/);
  });
});

describe('dataset helpers', () => {
  it('prefixes by time fraction and by point count, at least one point', () => {
    const ds = createDataset(base());
    const half = datasetPrefix(ds, { fraction: 0.5 });
    expect(half.trajectories.map((t) => t.times.length)).toEqual([3, 1]);
    expect(datasetPrefix(ds, { points: 3 }).trajectories.map((t) => t.times.length)).toEqual([3, 2]);
    expect(() => datasetPrefix(ds, { fraction: 0 })).toThrow(ObservablesError);
    expect(() => datasetPrefix(ds, { points: 1.5 })).toThrow(/integer/);
  });

  it('splits trajectories reproducibly by seed; scales are RMS of observed values', () => {
    const ds = createDataset({
      channels: ['r'],
      trajectories: Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, times: [0], values: { r: [i] } })),
    });
    const a = splitDataset(ds, { test: 0.3, seed: 4 });
    const b = splitDataset(ds, { test: 3, seed: 4 });
    expect(a.test.trajectories.map((t) => t.id)).toEqual(b.test.trajectories.map((t) => t.id));
    expect(a.test.trajectories.length + a.train.trajectories.length).toBe(10);
    expect(new Set([...a.test.trajectories, ...a.train.trajectories].map((t) => t.id)).size).toBe(10);
    expect(splitDataset(ds, { test: 0.3, seed: 5 }).test.trajectories.map((t) => t.id)).not.toEqual(
      a.test.trajectories.map((t) => t.id),
    );
    expect(() => splitDataset(ds, { test: 10 })).toThrow(/both parts/);
    expect(channelScales(ds).r).toBeCloseTo(Math.sqrt(285 / 10), 12);
    expect(selectTrajectories(ds, ['t3', 't1']).trajectories.map((t) => t.id)).toEqual(['t3', 't1']);
    expect(() => selectTrajectories(ds, ['zz'])).toThrow(/no trajectory 'zz'/);
  });
});

import { describe, expect, it } from 'vitest';
import { runPipeline } from './run-pipeline.js';
import { lvData, P } from './stages/lv-fixture.js';
import type { ModelSpec } from './types.js';

// fitStarts: a state that starts from the data starts at its trajectory's first row plus a trained
// correction. Lotka–Volterra without noise except in the first rows (moved by 4–6 %): kept as
// they are, the model sits on other orbits and the rates bend to make up for it; fitted, the
// starts and the rates come back.

const exact = lvData(0);
const moved = [
  [0.06, -0.05],
  [-0.04, 0.05],
];
const header = 'trajectory,t,r,c';
const csv = [
  header,
  ...exact.trajectories.flatMap((tr, k) =>
    Array.from(tr.times, (t, i) => {
      const r = tr.values.r?.[i] as number;
      const c = tr.values.c?.[i] as number;
      const f = i === 0 ? (moved[k] as number[]) : [0, 0];
      return `${tr.id},${t},${r * (1 + (f[0] as number))},${c * (1 + (f[1] as number))}`;
    }),
  ),
].join('\n');
const spec: ModelSpec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.2, beta: 0.8, gamma: 0.9, delta: 0.6 },
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + delta*r*c' },
  initial: { r: 'data', c: 'data' },
} as ModelSpec;
const worstError = (found: Readonly<Record<string, number>>) =>
  Math.max(...Object.entries(P).map(([k, v]) => Math.abs((found[k] as number) - v) / v));

describe('fitStarts', () => {
  it('fits each trajectory’s start: the rates come back within 0.5 %, the starts within 0.5 % (kept rows: rates off by over 2 %)', async () => {
    const run = (fitStarts: boolean) =>
      runPipeline({ spec, csv, options: { stages: ['mechanistic'], seed: 0, settings: { fitStarts } } });
    const fitted = await run(true);
    const kept = await run(false);
    expect(worstError(fitted.report.parameters.final)).toBeLessThan(0.005);
    expect(worstError(kept.report.parameters.final)).toBeGreaterThan(0.02);
    exact.trajectories.forEach((tr, k) => {
      for (const s of ['r', 'c']) {
        const truth = tr.values[s]?.[0] as number;
        const got = fitted.report.initial.final[k]?.[s] as number;
        expect(Math.abs(got - truth) / truth).toBeLessThan(0.005);
        // kept: the first row itself
        const row = truth * (1 + ((moved[k] as number[])[s === 'r' ? 0 : 1] as number));
        expect(kept.report.initial.final[k]?.[s]).toBeCloseTo(row, 4);
      }
    });
    // the fitted model's spec still starts from the data
    expect(fitted.model.initial).toEqual({ r: 'data', c: 'data' });
  }, 120_000);

  it('with networks in the model, the mechanistic fit leaves the starts at the first rows (the hybrid stage fits them)', async () => {
    const withNet = {
      ...spec,
      parameters: { alpha: 1.2, gamma: 0.9, delta: 0.6 },
      equations: { r: 'alpha*r + NN(r, c)', c: '-gamma*c + delta*r*c' },
      networks: { NN: { width: 4, depth: 1, activation: 'tanh' } },
    } as ModelSpec;
    const res = await runPipeline({ spec: withNet, csv, options: { stages: ['mechanistic'], seed: 0 } });
    exact.trajectories.forEach((tr, k) => {
      for (const [j, s] of ['r', 'c'].entries()) {
        const row = (tr.values[s]?.[0] as number) * (1 + ((moved[k] as number[])[j] as number));
        expect(res.report.initial.byStage.mechanistic?.[k]?.[s]).toBeCloseTo(row, 5);
      }
    });
  }, 60_000);

  it('names a setting that is not true or false', async () => {
    await expect(
      runPipeline({ spec, csv, options: { stages: ['mechanistic'], settings: { fitStarts: 'yes' as never } } }),
    ).rejects.toThrow(/setting 'fitStarts' must be true or false, got "yes"/);
  });
});

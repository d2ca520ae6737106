import { createDataset } from '@odekit/observables';
import { describe, expect, it } from 'vitest';
import { scaleFor, withNetworkScales } from './network-scales.js';
import { runPipeline } from './run-pipeline.js';
import { rk4 } from './stages/lv-fixture.js';
import type { ModelSpec } from './types.js';

const spec = {
  states: ['r', 'c'],
  parameters: { alpha: 0.1, gamma: 0.4 },
  equations: { r: 'alpha*r + NN1(r, c)', c: '-gamma*c + NN2(r, c/gamma)' },
  initial: { r: 'data', c: 'data' },
  networks: { NN1: { width: 8 }, NN2: { width: 8 } },
} as unknown as ModelSpec;

/** r = A (1.5 + sin t), c = B (1.5 + cos t) on 60 points of [0, 12]: sizes A·1.6, rates A·0.7. */
function data(A: number, B: number) {
  const times = Array.from({ length: 60 }, (_, i) => (12 * i) / 59);
  return createDataset({
    channels: ['r', 'c'],
    trajectories: [
      {
        id: '0',
        times,
        values: { r: times.map((t) => A * (1.5 + Math.sin(t))), c: times.map((t) => B * (1.5 + Math.cos(t))) },
      },
    ],
  });
}

describe('scaleFor', () => {
  it('is 1 up to 5 (and for what is not a positive number), then the nearest power of ten', () => {
    expect([0.001, 1, 4.9, Number.NaN, -20].map(scaleFor)).toEqual([1, 1, 1, 1, 1]);
    expect([5.1, 31, 32, 300, 4000].map(scaleFor)).toEqual([10, 10, 100, 100, 10000]);
  });
});

describe('withNetworkScales', () => {
  it('leaves data of a few units alone (the same spec object)', () => {
    const out = withNetworkScales(spec, data(1, 1), ['NN1', 'NN2']);
    expect(out.spec).toBe(spec);
    expect(out.said).toEqual([]);
  });
  it("scales each input by its size in the data (an argument's own value: c/gamma) and the output by its equation's rates", () => {
    // r ~ 20·1.6 = 32 (RMS 34): 100 is nearest in log scale; c ~ 1.6, c/gamma ~ 4 (RMS 4.3): 1
    const out = withNetworkScales(spec, data(20, 1), ['NN1', 'NN2']);
    const nets = out.spec.networks as Record<string, Record<string, unknown>>;
    expect(nets.NN1).toEqual({ width: 8, inputScale: [100, 1], outputScale: 10 });
    // NN2's equation is c's, whose rates are ~0.7: its output stays unscaled
    expect(nets.NN2).toEqual({ width: 8, inputScale: [100, 1], outputScale: 1 });
    expect(out.said[0]).toBe("NN1(r, c): inputs divided by 100, 1, output multiplied by 10 (the data's sizes)");
    // the caller's spec is not touched
    expect((spec.networks as Record<string, Record<string, unknown>>).NN1).toEqual({ width: 8 });
  });
  it("keeps a network's own scales, and 1 for an input the data cannot give", () => {
    const own = {
      ...spec,
      networks: { NN1: { inputScale: 3 }, NN2: {} },
      observations: { r: 'r' },
    } as unknown as ModelSpec;
    const d = createDataset({
      channels: ['r'],
      trajectories: [{ id: '0', times: [0, 1, 2, 3, 4, 5], values: { r: [40, 41, 42, 43, 44, 45] } }],
    });
    const out = withNetworkScales(own, d, ['NN1', 'NN2']);
    const nets = out.spec.networks as Record<string, Record<string, unknown>>;
    expect(nets.NN1).toEqual({ inputScale: 3 });
    // c is hidden: its input keeps 1; c's rates are unknown: the output keeps 1
    expect(nets.NN2).toEqual({ inputScale: [100, 1], outputScale: 1 });
  });
});

describe('the loop on data of other units', () => {
  // Lotka–Volterra with the textbook rates 1.5, 1, 3, 1 from (10, 5): prey spikes to 12 and falls to
  // 0.04, rates reach 30. 80 points on [0, 10], 2 % noise (of each state's mean); a network for each
  // interaction term, the known rates from guesses 20 % off. Unscaled, the hybrid fit stayed at 15×
  // the noise floor and neither term came back.
  const field = ([r, c]: number[]) => [
    1.5 * (r as number) - (r as number) * (c as number),
    -3 * (c as number) + (r as number) * (c as number),
  ];
  // Mulberry32 (seed 4) and Box–Muller: the draw of the case that failed without scales.
  let state = 4;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const rows: number[][] = [];
  let y = [10, 5];
  for (let i = 0; i < 80; i++) {
    const t = (10 * i) / 79;
    if (i > 0) {
      y = rk4(field, y, 10 / 79 / 200, 200);
    }
    rows.push([t, ...y]);
  }
  const mean = [1, 2].map((j) => rows.reduce((a, r) => a + (r[j] as number), 0) / rows.length);
  const csv = `t,r,c\n${rows
    .map((r) =>
      [
        Number((r[0] as number).toFixed(6)),
        ...[1, 2].map((j) => Number(((r[j] as number) + 0.02 * (mean[j - 1] as number) * normal()).toPrecision(6))),
      ].join(','),
    )
    .join('\n')}\n`;
  const model = {
    states: ['r', 'c'],
    parameters: { alpha: 1.2, gamma: 2.5 },
    equations: { r: 'alpha*r + NN1(r, c)', c: '-gamma*c + NN2(r, c)' },
    initial: { r: 'data', c: 'data' },
    networks: { NN1: { width: 8, depth: 1, activation: 'tanh' }, NN2: { width: 8, depth: 1, activation: 'tanh' } },
  } as unknown as ModelSpec;
  it('scales the networks and reads back both terms with their constants within 5 %', async () => {
    const { report } = await runPipeline({ spec: model, csv, options: { seed: 0, budget: 3, workers: 0 } });
    const hybrid = report.stages.find((s) => s.name === 'hybrid');
    expect(hybrid?.message).toMatch(
      /^NN1\(r, c\): inputs divided by 1, 1, output multiplied by 10 \(the data's sizes\)/,
    );
    const one = (name: string, k: number) => {
      // `0.98*c*r`, or `-c*r` when the constant rounds to 1
      const m = /^(-?)([\d.]+\*)?c\*r$/.exec(report.discovered[name]?.expression ?? '');
      expect(m, `${name}: ${report.discovered[name]?.expression}`).not.toBeNull();
      const value = (m?.[1] === '-' ? -1 : 1) * (m?.[2] === undefined ? 1 : Number(m[2].slice(0, -1)));
      expect(Math.abs(value / k - 1)).toBeLessThan(0.05);
    };
    one('NN1', -1);
    one('NN2', 1);
    expect(Math.abs((report.parameters.final.alpha as number) / 1.5 - 1)).toBeLessThan(0.05);
    expect(Math.abs((report.parameters.final.gamma as number) / 3 - 1)).toBeLessThan(0.05);
  }, 600_000);
});

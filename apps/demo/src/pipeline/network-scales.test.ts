import { createDataset } from '@odekit/observables';
import { describe, expect, it } from 'vitest';
import { scaleFor, withNetworkScales } from './network-scales.js';
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

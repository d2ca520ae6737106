import { disposeTree } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import { buildModel, readData } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { solvesWhole } from './mechanistic.js';
import { sampleStates } from './sample-states.js';

// dr/dt = k*r^2 from r(0) = 1 blows up at t = 1/k: with k = 1 the solve fails before t = 2.
const csv = `t,r\n${Array.from({ length: 21 }, (_, i) => `${i / 10},${(1 + i / 40).toFixed(4)}`).join('\n')}\n`;
const data = readData(csv, 't', 'trajectory');
const modelWith = (k: number) =>
  buildModel(
    { states: ['r'], parameters: { k }, equations: { r: 'k*r^2' }, initial: { r: 'data' } },
    DEFAULT_SETTINGS,
    0,
  );

describe('solvesWhole', () => {
  it('tells values whose solve fails on the whole series (a blow-up after a prefix) from ones that solve', async () => {
    await expectNoLeak(() => {
      for (const [k, ok] of [
        [1, false],
        [-1, true],
      ] as const) {
        const model = modelWith(k);
        const params = model.initParams();
        expect(solvesWhole(model, params, data)).toBe(ok);
        disposeTree(params);
      }
    });
  });
});

describe('sampleStates', () => {
  it("falls back to the observed states when the trained model does not solve over the data's span", async () => {
    await expectNoLeak(() => {
      const model = modelWith(1);
      const params = model.initParams();
      const settings = { ...DEFAULT_SETTINGS, samples: 200, sampleTrajectories: 0, jitter: 0 };
      const S = sampleStates(model, params, data, settings, 0);
      disposeTree(params);
      const r = S.r as Float64Array;
      expect(r).toHaveLength(200);
      // every sample is one of the observed values (1 … 1.5), none of the blown-up solution's
      expect(Math.min(...r)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...r)).toBeLessThanOrEqual(1.5);
    });
  });
});

import { disposeTree } from '@odekit/core';
import { type Expression, parseExpression } from '@odekit/symbolic';
import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import { formOf } from '../discover.js';
import { buildModel } from '../input.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import type { ModelSpec } from '../types.js';
import { context, lvData, P } from './lv-fixture.js';
import { refitStage } from './refit.js';
import type { NetworkDiscovery } from './symbolic.js';

// Lotka–Volterra with a network for the predator's gain only (1 % noise, two trajectories), as the
// hybrid stage can leave it: the network learned a share of the known death term, so gamma sits at
// 2.3 (truth 0.8) and the candidates' constants, fitted to the network's samples, are far off too.
const data = lvData(0.01);
const spec = {
  states: ['r', 'c'],
  parameters: { alpha: P.alpha, beta: P.beta, gamma: 2.3 },
  equations: { r: 'alpha*r - beta*r*c', c: '-gamma*c + NN(r, c)' },
  initial: { r: 'data', c: 'data' },
  networks: { NN: { width: 8, depth: 1, activation: 'tanh' } },
} as unknown as ModelSpec;
const found = [
  {
    call: { name: 'NN', args: ['r', 'c'], variables: ['r', 'c'] },
    expr: parseExpression('0.27*r'),
    alternatives: ['-0.2*c*r', '0.27*r', '1.5*c'].map((c) => parseExpression(c)),
  } as unknown as NetworkDiscovery,
];

async function refit(rateStarts: boolean) {
  const settings = { ...DEFAULT_SETTINGS, rateStarts, refitIterations: 60 };
  const model = buildModel(spec, settings, 0);
  const params = model.initParams();
  try {
    const out = await refitStage(model, params, found, context(data, settings));
    const expr = out.chosen.get('NN') as Expression;
    const values = Object.fromEntries(
      Object.entries(out.params.physics).map(([k, v]) => [k, v.dataSync()[0] as number]),
    );
    disposeTree(out.params);
    return { expr, values, message: out.message };
  } finally {
    disposeTree(params);
  }
}

describe('refit: a second start from the smoothed rates', () => {
  it('finds the true term whose start from the network stalls, with its constant and the known rate within 3 %', async () => {
    await expectNoLeak(async () => {
      const on = await refit(true);
      expect(formOf(on.expr)).toMatch(/^-?#\*c\*r$/);
      expect(Math.abs((on.values.NN_c0 as number) / P.delta - 1)).toBeLessThan(0.03);
      expect(Math.abs((on.values.gamma as number) / P.gamma - 1)).toBeLessThan(0.03);
      expect(on.message).toMatch(/\*c\*r \(loss [\d.e-]+, from the smoothed rates\)/);
    });
  }, 120_000);
  it('without it (rateStarts false) the refit keeps a wrong form', async () => {
    const off = await refit(false);
    expect(formOf(off.expr)).not.toMatch(/^-?#\*c\*r$/);
    expect(off.message).not.toMatch(/from the smoothed rates/);
  }, 120_000);
});

import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import { makeCsv } from '../scenarios/make-csv.js';
import { runPipeline } from './run-pipeline.js';
import type { ModelSpec } from './types.js';

// Coarse data in units of tens, as a hare–lynx record comes: Lotka–Volterra (0.55, 0.028, 0.84,
// 0.026) from 30 hares and 4 lynxes, one point a year from 1900 to 1920 (21 points, about nine a
// cycle), 3 % noise; the prey's loss under a network, the guesses 0.5, 1 and 0.02. With every
// loss weighed by powers of ten (both channels by 1/10) the run read back `-0.0037*hare*lynx`
// (a probe of the same truth: `0.079*hare - 0.004*hare*lynx`, `0.19*hare*lynx - 5.3*lynx`);
// weighed by each channel's RMS (hares about 35, lynxes about 20) it reads back the truth.
const P = { alpha: 0.55, beta: 0.028, gamma: 0.84, delta: 0.026 };
const csv = makeCsv(
  (_t, [h, l]) => [
    P.alpha * (h as number) - P.beta * (h as number) * (l as number),
    -P.gamma * (l as number) + P.delta * (h as number) * (l as number),
  ],
  {
    states: ['hare', 'lynx'],
    equations: { hare: 'alpha*hare - beta*hare*lynx', lynx: '-gamma*lynx + delta*hare*lynx' },
    missing: { NN: '-0.028*hare*lynx' },
    parameters: P,
    initial: [[30, 4]],
    times: { t0: 1900, t1: 1920, points: 21 },
    noise: 0.03,
    seed: 8,
  },
);
const spec = {
  states: ['hare', 'lynx'],
  parameters: { alpha: 0.5, gamma: 1, delta: 0.02 },
  equations: { hare: 'alpha*hare + NN(hare, lynx)', lynx: '-gamma*lynx + delta*hare*lynx' },
  initial: { hare: 'data', lynx: 'data' },
  networks: { NN: { width: 8, depth: 1, activation: 'tanh' } },
} as unknown as ModelSpec;

describe('the loop on coarse data (21 yearly points of a hare–lynx cycle)', () => {
  it('reads back the predation term and every rate within 5 %, leaking no tensor', async () => {
    const { report } = await expectNoLeak(
      () => runPipeline({ spec, csv, options: { seed: 0, budget: 3, workers: 0 } }),
      'a run on coarse data',
    );
    const found = report.discovered.NN?.expression ?? '';
    const m = /^-([\d.e-]+)\*hare\*lynx$/.exec(found);
    expect(m, found).not.toBeNull();
    expect(Math.abs(Number(m?.[1]) / P.beta - 1), found).toBeLessThan(0.05);
    const final = report.parameters.final as Record<string, number>;
    for (const name of ['alpha', 'gamma', 'delta'] as const)
      expect(Math.abs((final[name] as number) / P[name] - 1), name).toBeLessThan(0.05);
  }, 600_000);
});

import { expectNoLeak } from '@odekit/testing';
import { describe, expect, it } from 'vitest';
import { makeCsv } from '../scenarios/make-csv.js';
import { drawVariant, variantRhs, variantTruth } from '../scenarios/variants.js';
import { runPipeline } from './run-pipeline.js';
import type { ModelSpec } from './types.js';

// The bench's `--family units` seed 20: Lotka–Volterra with the predator's gain under a network,
// the prey counted in tens (×11.8) and the predator in tens too (×19.6); the gain's rate is
// 0.0243 and the model's guess for the prey's loss rate 0.0187. One trajectory of 52 points, 2.3 %
// noise. Before the loss and the parameters were scaled to their magnitudes, the first line search
// moved that rate fifty-fold and the gain came back 6 % off (`0.0258*c*r`).
const v = drawVariant(20, 'units');
const csv = makeCsv(variantRhs(v), variantTruth(v));
const spec = v.model as unknown as ModelSpec;
const truth = v.truth.parameters as Record<string, number>;

/** The constant of a found `k*c*r`, or NaN for another form. */
function gain(expression: string | undefined): number {
  const m = /^([\d.e-]+)\*c\*r$/.exec(expression ?? '');
  return m === null ? Number.NaN : Number(m[1]);
}

describe('the loop on Lotka–Volterra in other units', () => {
  it('draws the case described', () => {
    expect(v.kind).toBe('bilinear/predator');
    expect(v.model.equations.c).toBe('-gamma*c + NN(r, c)');
    expect(truth.b).toBe(0.0243);
  });
  it("reads back the predator's gain within 5 %, and every known rate within 5 %, leaking no tensor", async () => {
    const { report } = await expectNoLeak(
      () => runPipeline({ spec, csv, options: { seed: 20, budget: 3, workers: 0 } }),
      'a run with scaled losses and parameters',
    );
    const k = gain(report.discovered.NN?.expression);
    expect(Math.abs(k / (truth.b as number) - 1), report.discovered.NN?.expression).toBeLessThan(0.05);
    const final = report.parameters.final as Record<string, number>;
    for (const [name, t] of [
      ['alpha', truth.alpha],
      ['beta', truth.a],
      ['gamma', truth.gamma],
    ] as const)
      expect(Math.abs((final[name] as number) / (t as number) - 1), name).toBeLessThan(0.05);
  }, 600_000);
  it('misses it with the losses and parameters in raw units', async () => {
    const { report } = await runPipeline({
      spec,
      csv,
      options: { seed: 20, budget: 3, workers: 0, settings: { lossScales: false, parameterScales: false } },
    });
    const k = gain(report.discovered.NN?.expression);
    expect(Number.isNaN(k) || Math.abs(k / (truth.b as number) - 1) > 0.05, report.discovered.NN?.expression).toBe(
      true,
    );
  }, 600_000);
});

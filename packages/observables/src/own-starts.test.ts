import { disposeTree } from '@odekit/core';
import { pidController } from '@odekit/solvers';
import { describe, expect, it } from 'vitest';
import { createDataset } from './dataset.js';
import { modelFromEquations } from './model-from-equations.js';

// starts: 'own': every trajectory starts at its own first row, still in one batched solve.

const spec = {
  states: ['r', 'c'],
  parameters: { alpha: 1.5, beta: 1, gamma: 3, delta: 1 },
  conditions: ['L'],
  equations: { r: 'alpha*(1 + 0.3*L)*r - beta*r*c', c: '-gamma*c + delta*r*c' },
};
const tight = { stepsizeController: pidController({ rtol: 1e-8, atol: 1e-10 }) };
const trajectories = [
  { id: 'a', times: [0, 0.4, 1.1, 2.5], values: { r: [1, 0, 0, 0], c: [1, 0, 0, Number.NaN] }, conditions: { L: 0 } },
  { id: 'b', times: [1.5, 1.7, 3.9], values: { r: [2, 0, 0], c: [0.5, 0, 0] }, conditions: { L: 0.5 } },
  {
    id: 'c',
    times: [3.2, 3.25, 4, 5.5, 6],
    values: { r: [0.8, 0, 0, 0, 0], c: [1.2, 0, 0, 0, 0] },
    conditions: { L: 1 },
  },
];
const data = createDataset({ channels: ['r', 'c'], conditions: ['L'], trajectories });

describe("starts: 'own'", () => {
  it('one batched predict equals each trajectory solved alone from its first row', () => {
    const model = modelFromEquations(spec, { ...tight, starts: 'own' });
    const params = model.initParams();
    const got = model.predictValues(params, data);
    const alone = modelFromEquations(spec, tight);
    trajectories.forEach((tr, i) => {
      const one = createDataset({ channels: ['r', 'c'], conditions: ['L'], trajectories: [tr] });
      // alone, the model's t0 is the dataset's first time: this trajectory's first row
      const [want] = alone.predictValues(params, one);
      const g = got[i];
      expect(Array.from(g?.times ?? [])).toEqual(tr.times);
      for (const s of ['r', 'c']) {
        const a = g?.states[s] as Float64Array;
        const b = want?.states[s] as Float64Array;
        expect(a[0]).toBe(b[0]); // the first row itself
        for (let k = 0; k < a.length; k++) expect(Math.abs((a[k] as number) - (b[k] as number))).toBeLessThan(2e-5);
      }
    });
    // a shared start cannot take the later trajectories' first rows as their initial states
    expect(() => alone.predictValues(params, data)).toThrow(
      /trajectory 1 \('b'\) has no 'r' value at t0 = 0.*starts: 'own'/,
    );
    disposeTree(params);
  });

  it('rejects what it cannot do, naming why', () => {
    expect(() => modelFromEquations({ ...spec, equations: { r: 'r*t', c: '-c' } }, { starts: 'own' })).toThrow(
      /starts: 'own' .* the equations use t/,
    );
    expect(() => modelFromEquations({ ...spec, t0: 0 }, { starts: 'own' })).toThrow(/'t0' = 0 and starts: 'own'/);
    expect(() => modelFromEquations(spec, { starts: 'late' as never })).toThrow(/'starts' must be 'shared' or 'own'/);
    const model = modelFromEquations(spec, { starts: 'own' });
    const params = model.initParams();
    expect(() => model.predictValues(params, data, { times: [1, 2] })).toThrow(
      /'times' has 1, before trajectory 1 \('b'\) starts/,
    );
    const late = model.predictValues(params, data, { times: [3.5, 6] });
    expect(Array.from(late[2]?.times ?? [])).toEqual([3.5, 6]);
    disposeTree(params);
  });
});

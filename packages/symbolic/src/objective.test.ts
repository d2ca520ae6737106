import { createRng } from '@odekit/core';
import { describe, expect, it } from 'vitest';
import { ColumnEvaluator } from './column-evaluator.js';
import { makeDataset } from './dataset.js';
import { mseOf, Objective } from './objective.js';
import { parseExpression } from './parse.js';

describe('Objective mini-batches', () => {
  it('each resampled batch is scored on its own rows, not on operator columns cached from the last batch', () => {
    const n = 400;
    const x = Float64Array.from({ length: n }, (_, i) => 0.05 + i / 50);
    const y = x.map((v) => Math.log(v) + Math.sin(v));
    const obj = new Objective(makeDataset('test', { x }, y), 32);
    const rng = createRng(3);
    const tree = parseExpression('log(x) + sin(x)').root;
    const other = parseExpression('sin(x) * 0.5').root;
    const view = obj.batchView;
    if (view === undefined) throw new Error('no batch view');
    for (let k = 0; k < 5; k++) {
      obj.resample(rng);
      const fresh = new ColumnEvaluator({ x: view.evaluator.columns.x?.slice() as Float64Array }, 32);
      for (const t of [tree, other]) {
        const want = mseOf(fresh.evaluate(t), view);
        expect(obj.loss(t, true)).toBe(want);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { HallOfFame } from './hall-of-fame.js';
import { offerToHallOfFame } from './hof-offer.js';
import { parseExpression } from './parse.js';
import { setupSearch } from './search-setup.js';

describe('offerToHallOfFame', () => {
  const x = Float64Array.from({ length: 4000 }, (_, i) => -2 + (4 * ((i * 7919) % 4000)) / 4000);
  const y = x.map((v) => v * v + 1);
  const { objective } = setupSearch({ X: { x }, y, batching: true }, () => false);
  const tree = (s: string) => parseExpression(s).root;

  it('offers unscreened members as they are', () => {
    const hof = new HallOfFame(10);
    offerToHallOfFame(hof, [{ tree: tree('x*x'), loss: 123, complexity: 3 }], objective, false);
    expect(hof.at(3)?.loss).toBe(123);
  });

  it('evaluates on the full data only screened members that could beat the holder, once per tree', () => {
    const hof = new HallOfFame(10);
    const good = tree('x*x + 1');
    const holder = tree('x*x + 0.5');
    hof.update({ tree: holder, loss: objective.loss(holder), complexity: 5 });
    const holderLoss = hof.at(5)?.loss as number;
    let before = objective.evaluations;
    // a screening loss far above the holder's: skipped without an evaluation
    offerToHallOfFame(hof, [{ tree: tree('x*x + 3'), loss: 10 * holderLoss, complexity: 5 }], objective, true);
    expect(objective.evaluations).toBe(before);
    expect(hof.at(5)?.tree).toBe(holder);
    // a promising one enters with its full-data loss (0), not its screening loss
    offerToHallOfFame(hof, [{ tree: good, loss: 0.9 * holderLoss, complexity: 5 }], objective, true);
    expect(objective.evaluations).toBe(before + 1);
    expect(hof.at(5)?.tree).toBe(good);
    expect(hof.at(5)?.loss).toBe(0);
    // the holder itself, or a tree already evaluated, costs nothing more
    before = objective.evaluations;
    offerToHallOfFame(hof, [{ tree: good, loss: 0, complexity: 5 }], objective, true);
    expect(objective.evaluations).toBe(before);
    // an empty slot is always tried
    offerToHallOfFame(hof, [{ tree: tree('x'), loss: 1e9, complexity: 1 }], objective, true);
    expect(hof.at(1)?.loss).toBeCloseTo(objective.loss(tree('x')), 12);
  });
});

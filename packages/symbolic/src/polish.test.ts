import { describe, expect, it } from 'vitest';
import { HallOfFame } from './hall-of-fame.js';
import { constantsOf, type ExprNode } from './node.js';
import { parseExpression } from './parse.js';
import { polishFront } from './polish.js';
import { setupSearch } from './search-setup.js';

describe('polishFront', () => {
  it('refits the constants of front entries on the full data, once per tree', () => {
    const y = Float64Array.from({ length: 3000 }, (_, i) => 0.1 + (4.9 * ((i * 7919) % 3000)) / 3000);
    const target = parseExpression('y^0.9 - y + 0.5*y^2').evaluate({ y });
    // batching on: the search's own constant fits see 50 rows; the refit must use all 3,000
    const setup = setupSearch(
      { X: { y }, y: target, binaryOperators: ['+', '-', '*', '^'], batching: true },
      () => false,
    );
    const rough = parseExpression('y^0.85 - y + 0.45*y^2').root;
    const hof = new HallOfFame(20);
    const complexity = parseExpression('y^0.85 - y + 0.45*y^2').complexity;
    hof.update({ tree: rough, loss: setup.objective.loss(rough), complexity });
    const done = new WeakSet<ExprNode>();
    // with a wrong rows' view the refit could not reach round-off: check the test can fail
    expect(hof.members()[0]?.loss).toBeGreaterThan(1e-4 * setup.objective.baseline);
    polishFront(hof, setup.context, setup.lossFloor, done, setup.rngs[0] as never);
    const entry = hof.members().find((c) => c.complexity === complexity);
    expect(entry?.loss).toBeLessThan(1e-12 * setup.objective.baseline);
    const [p, c] = constantsOf(entry?.tree as ExprNode);
    expect(p).toBeCloseTo(0.9, 6);
    expect(c).toBeCloseTo(0.5, 6);
    // already refit: a second call spends no evaluations
    const before = setup.objective.evaluations;
    polishFront(hof, setup.context, setup.lossFloor, done, setup.rngs[0] as never);
    expect(setup.objective.evaluations).toBe(before);
  });

  it('also refits a holder just behind the front, which then takes its place on it', () => {
    const y = Float64Array.from({ length: 3000 }, (_, i) => 0.1 + (4.9 * ((i * 7919) % 3000)) / 3000);
    const target = parseExpression('y^0.9 - y + 0.5*y^2').evaluate({ y });
    const setup = setupSearch({ X: { y }, y: target, binaryOperators: ['+', '-', '*', '^'] }, () => false);
    const lossOf = (text: string) => setup.objective.loss(parseExpression(text).root);
    // a simpler near-miss with its best constants, and the right form with rough ones just behind it
    const simple = parseExpression('0.4446*y^2.035 + 0.0527').root;
    const rough = parseExpression('0.9895*y^0.9 - y + 0.5*y^2').root;
    const simpleLoss = lossOf('0.4446*y^2.035 + 0.0527');
    const roughLoss = lossOf('0.9895*y^0.9 - y + 0.5*y^2');
    expect(roughLoss).toBeGreaterThan(simpleLoss);
    expect(roughLoss).toBeLessThan(1.1 * simpleLoss);
    const hof = new HallOfFame(20);
    hof.update({ tree: simple, loss: simpleLoss, complexity: 7 });
    hof.update({ tree: rough, loss: roughLoss, complexity: 13 });
    expect(hof.front(setup.lossFloor).map((c) => c.complexity)).toEqual([7]);
    polishFront(hof, setup.context, setup.lossFloor, new WeakSet(), setup.rngs[0] as never);
    expect(hof.front(setup.lossFloor).map((c) => c.complexity)).toEqual([7, 13]);
    expect(hof.at(13)?.loss).toBeLessThan(1e-12 * setup.objective.baseline);
  });
});

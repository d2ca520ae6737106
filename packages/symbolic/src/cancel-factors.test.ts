import { describe, expect, it } from 'vitest';
import { cancelCommonFactors } from './cancel-factors.js';
import { Expression } from './expression.js';
import { parseExpression } from './parse.js';
import { simplify } from './simplify.js';
import { tidyTree } from './tidy.js';

const cancel = (s: string): string => simplify(new Expression(cancelCommonFactors(parseExpression(s).root))).toString();

describe('cancelCommonFactors', () => {
  it('cancels a variable that divides every term above and below a fraction bar', () => {
    expect(cancel('x*x/(x + x*x)')).toBe(simplify(parseExpression('x/(1 + x)')).toString());
    expect(cancel('x^3/(2*x^2 - x*y)')).toBe(simplify(parseExpression('x^2/(2*x - y)')).toString());
    // nothing to cancel: y has no factor x; a function of x is not a factor
    expect(cancel('x/(x + y)')).toBe('x/(x + y)');
    expect(cancel('exp(x)/(x + x*y)')).toBe(simplify(parseExpression('exp(x)/(x + x*y)')).toString());
  });

  it("makes tidyTree return the Strogatz predator–prey term at the truth's size", () => {
    const box = { x: Float64Array.from({ length: 200 }, (_, i) => 0.1 + (i * 5.9) / 199), y: new Float64Array(200) };
    box.y.forEach((_, i) => {
      box.y[i] = 0.1 + ((i * 37) % 200) * 0.0295;
    });
    const truth = parseExpression('x*(4 - x - y/(1 + x))').evaluate(box);
    const lossOf = (t: Expression['root']) => {
      const f = new Expression(t).evaluate(box);
      return f.reduce((s, v, i) => s + (v - (truth[i] as number)) ** 2, 0) / f.length;
    };
    const found = parseExpression('(4 - x*(x - 3) - y)*x*x/(x + x*x)');
    const { tree, loss } = tidyTree(found.root, { lossOf, floor: 1e-20 });
    expect(loss).toBeLessThan(1e-20);
    expect(new Expression(tree).complexity).toBeLessThanOrEqual(17);
    expect(new Expression(tree).complexity).toBeLessThan(found.complexity);
  });
});

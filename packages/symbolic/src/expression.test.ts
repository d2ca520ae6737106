import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Expression } from './expression.js';
import { binary, constant, type ExprNode, nodeEquals, unary, variable } from './node.js';
import type { BinaryOpName, UnaryOpName } from './operators.js';
import { ExpressionSyntaxError, parseExpression } from './parse.js';
import { printNode } from './print.js';
import { simplify } from './simplify.js';

const BIN: BinaryOpName[] = ['+', '-', '*', '/', '^'];
const UN: UnaryOpName[] = ['neg', 'exp', 'log', 'sqrt', 'sin', 'cos', 'tanh', 'abs', 'square', 'cube', 'inv'];

/** Random expression trees over x, y, z with finite constants (test helper, not exported). */
function arbitraryTree(maxDepth = 4, opts: { unary?: UnaryOpName[]; binary?: BinaryOpName[] } = {}) {
  const un = opts.unary ?? UN;
  const bin = opts.binary ?? BIN;
  const leaf: fc.Arbitrary<ExprNode> = fc.oneof(
    fc.constantFrom('x', 'y', 'z').map(variable),
    fc
      .oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }))
      .map(constant),
  );
  const { tree } = fc.letrec<{ tree: ExprNode }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true, maxDepth },
      leaf,
      fc.tuple(fc.constantFrom(...un), tie('tree')).map(([op, a]) => unary(op, a)),
      fc.tuple(fc.constantFrom(...bin), tie('tree'), tie('tree')).map(([op, a, b]) => binary(op, a, b)),
    ),
  }));
  return tree;
}

const p = (s: string) => parseExpression(s);

describe('parseExpression', () => {
  it('parses the 10 benchmark targets of fixtures/sr-bench.json and prints them back', () => {
    const targets = JSON.parse(readFileSync(new URL('../fixtures/sr-bench.json', import.meta.url), 'utf8')) as {
      expr: string;
      vars: Record<string, [number, number]>;
    }[];
    expect(targets).toHaveLength(10);
    for (const t of targets) {
      const e = p(t.expr);
      expect(nodeEquals(p(e.toString()).root, e.root)).toBe(true);
      expect(e.variables.every((v) => v in t.vars)).toBe(true);
    }
  });

  it('parses every target of the SR benchmark and prints it back', () => {
    const cases: [string, string][] = [
      ['1.3*x - 0.9*x*y', '1.3*x - 0.9*x*y'],
      ['3*x - 2*x*y - x^2', '3*x - 2*x*y - x^2'],
      ['2*x*y/(0.5 + x)', '2*x*y/(0.5 + x)'],
      ['0.8*x*(1 - x/4.5)', '0.8*x*(1 - x/4.5)'],
      ['y^0.9 - y + 0.5*y^2', 'y^0.9 - y + 0.5*y^2'],
      ['x*(4 - x - y/(1 + x))', 'x*(4 - x - y/(1 + x))'],
      ['0.4*x*y/(x + y + z)', '0.4*x*y/(x + y + z)'],
      ['1.5*x*exp(-0.4*y)', '1.5*x*exp(-0.4*y)'],
      ['10*(y - (x^3 - x)/3)', '10*(y - (x^3 - x)/3)'],
      ['0.5*sin(x - y) - sin(x)', '0.5*sin(x - y) - sin(x)'],
    ];
    for (const [src, printed] of cases) {
      const e = p(src);
      expect(e.toString()).toBe(printed);
      expect(nodeEquals(p(e.toString()).root, e.root)).toBe(true);
    }
  });

  it('follows precedence and associativity', () => {
    const x = variable('x');
    const y = variable('y');
    const z = variable('z');
    expect(nodeEquals(p('-x^2').root, unary('neg', binary('^', x, constant(2))))).toBe(true);
    expect(nodeEquals(p('x^y^z').root, binary('^', x, binary('^', y, z)))).toBe(true);
    expect(nodeEquals(p('x - y - z').root, binary('-', binary('-', x, y), z))).toBe(true);
    expect(nodeEquals(p('x / y / z').root, binary('/', binary('/', x, y), z))).toBe(true);
    expect(nodeEquals(p('x - (y - z)').root, binary('-', x, binary('-', y, z)))).toBe(true);
    expect(nodeEquals(p('2^-x').root, binary('^', constant(2), unary('neg', x)))).toBe(true);
    expect(nodeEquals(p('-2*x').root, binary('*', constant(-2), x))).toBe(true);
    expect(nodeEquals(p('-2^x').root, unary('neg', binary('^', constant(2), x)))).toBe(true);
    expect(nodeEquals(p('x*-y').root, binary('*', x, unary('neg', y)))).toBe(true);
    expect(nodeEquals(p(' 1e-3 * x ').root, binary('*', constant(0.001), x))).toBe(true);
    expect(nodeEquals(p('exp(x) * exp').root, binary('*', unary('exp', x), variable('exp')))).toBe(true);
    expect(p('(x + y)*z').toString()).toBe('(x + y)*z');
    expect(p('x + (y + z)').toString()).toBe('x + (y + z)');
    expect(p('(x^2)^3').toString()).toBe('(x^2)^3');
    expect(p('(-2)^x').toString()).toBe('(-2)^x');
    expect(p('-(2)').toString()).toBe('-(2)');
    expect(p('-(x*y)').toString()).toBe('-(x*y)');
    expect(p('x^(-y)').toString()).toBe('x^-y');
  });

  it('rejects malformed input with the position and what was expected', () => {
    const bad: [string, number, RegExp][] = [
      ['x + * y', 4, /a number, a variable/],
      ['(x + y', 6, /'\)'/],
      ['x y', 2, /an operator/],
      ['foo(x)', 0, /known function/],
      ['sin(x', 5, /'\)' closing sin/],
      ['', 0, /a number/],
      ['x ^', 3, /a number/],
      ['3 $ 4', 2, /an operator/],
    ];
    for (const [src, pos, msg] of bad) {
      let err: unknown;
      try {
        parseExpression(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExpressionSyntaxError);
      expect((err as ExpressionSyntaxError).position).toBe(pos);
      expect((err as Error).message).toMatch(msg);
    }
  });

  it('property: parse(print(t)) equals t for random trees', () => {
    fc.assert(
      fc.property(arbitraryTree(5), (t) => {
        const printed = printNode(t);
        const back = parseExpression(printed).root;
        if (!nodeEquals(back, t)) throw new Error(`${printed} -> ${printNode(back)}`);
      }),
      { numRuns: 500, seed: 1 },
    );
  });
});

describe('evaluate', () => {
  it('matches Math on columns, with broadcast numbers', () => {
    const e = p('exp(-x)*sin(y) + sqrt(abs(x))/inv(y) - tanh(x)^2 + log(y) + cube(x) - cos(square(y))');
    const x = Float64Array.from([0.3, -1.2, 2.5]);
    const y = Float64Array.from([1.1, 0.4, 3]);
    const out = e.evaluate({ x, y });
    x.forEach((xi, i) => {
      const yi = y[i] as number;
      const want =
        Math.exp(-xi) * Math.sin(yi) +
        Math.sqrt(Math.abs(xi)) / (1 / yi) -
        Math.tanh(xi) ** 2 +
        Math.log(yi) +
        xi ** 3 -
        Math.cos(yi * yi);
      expect(out[i]).toBeCloseTo(want, 12);
    });
    expect([...p('x*2 + 1').evaluate({ x: [1, 2] })]).toEqual([3, 5]);
    expect([...p('3*4').evaluate({})]).toEqual([12]);
    expect(() => p('x + q').evaluate({ x: [1] })).toThrow(/variable 'q'/);
  });

  it('gives NaN outside the domain, as Math does', () => {
    const out = p('log(x) + sqrt(x) + x^0.5').evaluate({ x: [-1] });
    expect(Number.isNaN(out[0])).toBe(true);
  });
});

describe('toLatex, complexity', () => {
  it('prints LaTeX', () => {
    expect(p('2*x*y/(0.5 + x)').toLatex()).toBe('\\frac{2 \\cdot x \\cdot y}{0.5 + x}');
    expect(p('1.5*x*exp(-0.4*y)').toLatex()).toBe('1.5 \\cdot x \\cdot e^{-0.4 \\cdot y}');
    expect(p('sqrt(x1) - (x + y)^2').toLatex()).toBe('\\sqrt{x_{1}} - \\left(x + y\\right)^{2}');
    expect(p('abs(x)').toLatex()).toBe('\\left|x\\right|');
  });
  it('counts complexity and depth', () => {
    const e = p('x*y + 2');
    expect(e.complexity).toBe(5);
    expect(e.depth).toBe(3);
    expect(e.complexityWith({ complexityOfOperators: { '*': 2 }, complexityOfConstants: 2 })).toBe(7);
    expect(e.variables).toEqual(['x', 'y']);
    expect(e.constants).toEqual([2]);
    expect(JSON.stringify({ e })).toBe('{"e":"x*y + 2"}');
  });
});

describe('simplify', () => {
  it('folds, removes neutral elements and collects terms', () => {
    const s = (src: string) => simplify(p(src)).toString();
    expect(s('x + 0')).toBe('x');
    expect(s('1*x*1')).toBe('x');
    expect(s('x^1 + y^0')).toBe('x + 1');
    expect(s('2*(3*x)')).toBe('6*x');
    expect(s('x + x + x')).toBe('3*x');
    expect(s('x - x')).toBe('0');
    expect(s('(2 + 3)*x - 1 + 4')).toBe('5*x + 3');
    expect(s('y*x + 2')).toBe('x*y + 2');
    expect(s('--x')).toBe('x');
    expect(s('x*y/2/y*4')).toBe('2*x*y/y');
    expect(s('0 - x')).toBe('-x');
    expect(s('x + -2')).toBe('x - 2');
    expect(simplify(p('0 - x'), { operators: ['+', '-', '*'] }).toString()).toBe('-1*x');
  });

  it('property: simplify keeps the value on random inputs', () => {
    const xs = Float64Array.from({ length: 8 }, (_, i) => -1.7 + 0.53 * i);
    const ys = Float64Array.from({ length: 8 }, (_, i) => 0.21 + 0.37 * i);
    const zs = Float64Array.from({ length: 8 }, (_, i) => 2.3 - 0.61 * i);
    fc.assert(
      fc.property(arbitraryTree(4), (t) => {
        const e = new Expression(t);
        const before = e.evaluate({ x: xs, y: ys, z: zs });
        const after = simplify(e).evaluate({ x: xs, y: ys, z: zs });
        before.forEach((b, i) => {
          if (!Number.isFinite(b) || Math.abs(b) > 1e8) return;
          const a = after[i] as number;
          if (!(Math.abs(a - b) <= 1e-6 * (1 + Math.abs(b)))) {
            throw new Error(`${e} -> ${simplify(e)}: ${b} vs ${a} at row ${i}`);
          }
        });
      }),
      { numRuns: 500, seed: 2 },
    );
  });
});

import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './compile.js';
import { Expression } from './expression.js';
import { call, callsOf, constant, nodeCount, nodeEquals, replaceCalls, substituteVariables, variable } from './node.js';
import { ExpressionSyntaxError, parseExpression } from './parse.js';
import { simplify } from './simplify.js';

describe('calls of declared functions', () => {
  it('parse, print and LaTeX round trip; arities are counted', () => {
    const src = '-gamma*c + delta*r*(c + NN(r, c))';
    const e = parseExpression(src, { functions: ['NN'] });
    expect(e.toString()).toBe(src);
    expect(parseExpression(e.toString(), { functions: 'any' }).equals(e)).toBe(true);
    expect(e.toLatex()).toBe(
      '-\\gamma \\cdot c + \\delta \\cdot r \\cdot \\left(c + \\mathrm{NN}\\left(r, c\\right)\\right)',
    );
    expect(callsOf(e.root)).toEqual([['NN', 2]]);
    expect(e.variables).toEqual(['c', 'delta', 'gamma', 'r']);
    expect(nodeCount(call('f', [variable('x'), constant(2)]))).toBe(3);
    expect(parseExpression('f(x^2, g(y)) * 2', { functions: 'any' }).toString()).toBe('f(x^2, g(y))*2');
    expect(parseExpression('exp(NN(x))', { functions: 'any' }).root.kind).toBe('unary');
    expect(
      nodeEquals(
        parseExpression('f(x, y)', { functions: 'any' }).root,
        parseExpression('f(x)', { functions: 'any' }).root,
      ),
    ).toBe(false);
  });

  it('names the position of bad calls', () => {
    const err = (src: string, fns?: 'any' | string[]): ExpressionSyntaxError => {
      try {
        parseExpression(src, fns === undefined ? {} : { functions: fns });
      } catch (e) {
        if (e instanceof ExpressionSyntaxError) return e;
        throw e;
      }
      throw new Error(`no error for ${src}`);
    };
    expect(err('r*NN(r, c)').position).toBe(2);
    expect(err('r*NN(r, c)', ['MM']).message).toContain('MM');
    expect(err('exp(x, y)', 'any').expected).toContain('takes one argument');
    expect(err('NN(r c)', 'any').position).toBe(5);
    expect(err('NN(r, )', 'any').position).toBe(6);
    expect(() => parseExpression('x', { functions: 'NN' as unknown as string[] })).toThrow(/options.functions/);
  });

  it('compiles calls with implementations given at apply time (gradients flow into them)', () => {
    const e = parseExpression('2*x + NN(x, y)^2', { functions: ['NN'] });
    const fn = compileExpression(e);
    expect(fn.calls).toEqual([['NN', 2]]);
    const x = tf.tensor1d([1, 2]);
    const y = tf.tensor1d([0.5, -1]);
    const w = tf.scalar(3);
    const { value, grads } = valueAndGrad((p: { w: tf.Tensor }) =>
      fn.apply(fn.params, { x, y }, { NN: ([a, b]) => tf.mul(p.w, tf.add(a as tf.Tensor, b as tf.Tensor)) }).sum(),
    )({ w });
    // sum over rows of 2x + (w(x+y))^2 = 6 + 9*(2.25 + 1) = 35.25; d/dw = 2w * sum (x+y)^2 = 6*3.25
    expect(value.dataSync()[0]).toBeCloseTo(35.25, 4);
    expect(grads.w.dataSync()[0]).toBeCloseTo(19.5, 4);
    expect(() => fn.apply(fn.params, { x, y })).toThrow(/no implementation of the function 'NN'/);
    expect(fn.toExpression(fn.params).toString()).toBe('2*x + NN(x, y)^2');
    disposeTree([value, grads, x, y, w, fn.params]);
  });

  it('does not leak tensors through a call', async () => {
    const fn = compileExpression(parseExpression('NN(x) + 1', { functions: ['NN'] }), {
      functions: { NN: ([a]) => tf.tanh(a as tf.Tensor) },
    });
    const x = tf.tensor1d([1, 2]);
    await expectNoLeak(() => {
      tf.dispose(fn.apply(fn.params, { x }));
    });
    disposeTree([x, fn.params]);
  });

  it('replaces calls by expressions, simplifies through calls, refuses float64 evaluation of calls', () => {
    const { root } = parseExpression('r*NN(r, 2*c)', { functions: ['NN'] });
    const found = parseExpression('0.5*x1 + x2').root;
    const out = replaceCalls(root, 'NN', ([a, b]) => substituteVariables(found, { x1: a as never, x2: b as never }));
    expect(new Expression(out).toString()).toBe('r*(0.5*r + 2*c)');
    expect(new Expression(out).evaluate({ r: [2], c: [1] })[0]).toBeCloseTo(6, 12);
    expect(simplify(parseExpression('NN(x + 0, 2*3)', { functions: 'any' })).toString()).toBe('NN(x, 6)');
    expect(() => parseExpression('NN(x)', { functions: 'any' }).evaluate({ x: [1] })).toThrow(/replaceCalls/);
  });
});

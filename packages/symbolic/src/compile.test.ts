import { disposeTree, valueAndGrad } from '@odekit/core';
import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './compile.js';
import { Expression } from './expression.js';
import { withConstants } from './node.js';
import { parseExpression } from './parse.js';

describe('compileExpression', () => {
  it('matches float64 evaluation and keeps integer exponents fixed', () => {
    const e = parseExpression('y^0.9 - y + 0.5*y^2 + 1.3*x*exp(-0.4*x)/(x + 2)');
    const fn = compileExpression(e);
    expect(fn.parameterNames).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(fn.variables).toEqual(['x', 'y']);
    const xs = [0.2, 1.5, 3];
    const ys = [0.5, 1, 4];
    const want = e.evaluate({ x: xs, y: ys });
    const x = tf.tensor1d(xs);
    const y = tf.tensor1d(ys);
    const out = fn.apply(fn.params, { x, y });
    expect(out).toBeAllclose(tf.tensor1d(Array.from(want)), { rtol: 1e-5, atol: 1e-6 });
    expect(fn.toExpression(fn.params).toString()).toBe(e.toString());
    disposeTree([out, x, y, fn.params]);
  });

  it('bakes constants when trainableConstants is false, and reports missing inputs', () => {
    const fn = compileExpression(parseExpression('2*x + 1'), { trainableConstants: false });
    expect(fn.parameterNames).toEqual([]);
    const x = tf.tensor1d([1, 2]);
    const out = fn.apply(fn.params, { x });
    expect(Array.from(out.dataSync())).toEqual([3, 5]);
    expect(() => fn.apply(fn.params, {})).toThrow(/missing variable 'x'/);
    const g = compileExpression(parseExpression('2*x'));
    expect(() => g.apply({}, { x })).toThrow(/missing parameter 'c0'/);
    disposeTree([out, x, g.params]);
  });

  it('gradients with respect to the constants match central finite differences', () => {
    const src = 'c0*x*exp(c1*y) + y^c2/(c3 + x)';
    const e = parseExpression(src.replace('c0', '1.5').replace('c1', '-0.4').replace('c2', '0.9').replace('c3', '0.5'));
    const fn = compileExpression(e);
    const xs = [0.3, 1.1, 2.7, 4];
    const ys = [0.2, 0.9, 1.4, 3.3];
    const loss = (params: Record<string, tf.Tensor>) =>
      tf.tidy(() => {
        const x = tf.tensor1d(xs);
        const y = tf.tensor1d(ys);
        return tf.sum(tf.square(fn.apply(params, { x, y }))) as tf.Scalar;
      });
    const { value, grads } = valueAndGrad(loss)(fn.params);
    const base = fn.parameterNames.map((n) => (fn.params[n] as tf.Tensor).dataSync()[0] as number);
    // finite differences in float64 through the float64 evaluator
    const f64 = (vals: number[]) => {
      const out = new Expression(withConstants(e.root, vals)).evaluate({ x: xs, y: ys });
      return out.reduce((a, b) => a + b * b, 0);
    };
    for (const [i, name] of fn.parameterNames.entries()) {
      const h = 1e-6;
      const up = base.map((v, j) => (j === i ? v + h : v));
      const dn = base.map((v, j) => (j === i ? v - h : v));
      const fd = (f64(up) - f64(dn)) / (2 * h);
      const g = (grads[name] as tf.Tensor).dataSync()[0] as number;
      expect(Math.abs(g - fd)).toBeLessThan(2e-3 * (1 + Math.abs(fd)));
    }
    disposeTree([value, grads, fn.params]);
  });

  it('refits the trainable constants by gradient descent (the found term back in a model)', () => {
    const truth = parseExpression('1.5*x*exp(-0.4*y)');
    const fn = compileExpression(parseExpression('1*x*exp(-0.1*y)'));
    const xs = Array.from({ length: 64 }, (_, i) => 0.1 + (i % 8) * 0.6);
    const ys = Array.from({ length: 64 }, (_, i) => Math.floor(i / 8) * 0.7);
    const target = tf.tensor1d(Array.from(truth.evaluate({ x: xs, y: ys })));
    const x = tf.tensor1d(xs);
    const y = tf.tensor1d(ys);
    let params: Record<string, tf.Tensor> = fn.params;
    const loss = (p: Record<string, tf.Tensor>) => tf.mean(tf.square(tf.sub(fn.apply(p, { x, y }), target))).asScalar();
    for (let step = 0; step < 400; step++) {
      const { value, grads } = valueAndGrad(loss)(params);
      const next = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [k, v] of Object.entries(params)) out[k] = tf.sub(v, tf.mul(grads[k] as tf.Tensor, 0.05));
        return out;
      });
      disposeTree([value, grads, params]);
      params = next;
    }
    const found = fn.toExpression(params).constants;
    expect(found[0]).toBeCloseTo(1.5, 2);
    expect(found[1]).toBeCloseTo(-0.4, 2);
    disposeTree([params, target, x, y]);
  });

  it('does not leak: apply, gradients and toExpression', async () => {
    await expectNoLeak(() => {
      const fn = compileExpression(parseExpression('1.5*x*exp(-0.4*y) + x^2 - sqrt(y)'));
      const x = tf.tensor1d([1, 2]);
      const y = tf.tensor1d([0.5, 1]);
      for (let i = 0; i < 3; i++) fn.apply(fn.params, { x, y }).dispose();
      const { value, grads } = valueAndGrad((p: Record<string, tf.Tensor>) => tf.sum(fn.apply(p, { x, y })).asScalar())(
        fn.params,
      );
      fn.toExpression(fn.params);
      disposeTree([value, grads, fn.params, x, y]);
    });
  });
});

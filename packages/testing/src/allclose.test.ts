import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allclose } from './index.js';

describe('allclose', () => {
  it('compares numbers with rtol/atol (NumPy rule |a − e| ≤ atol + rtol·|e|)', () => {
    expect(allclose(1, 1).pass).toBe(true);
    expect(allclose(1 + 5e-6, 1).pass).toBe(true); // default rtol 1e-5
    expect(allclose(1 + 2e-5, 1).pass).toBe(false);
    expect(allclose(100.5, 100, { rtol: 1e-2 }).pass).toBe(true);
    expect(allclose(100.5, 100, { rtol: 1e-3 }).pass).toBe(false);
    expect(allclose(1e-7, 0, { atol: 1e-6 }).pass).toBe(true);
    expect(allclose(1e-7, 0, { atol: 1e-8, rtol: 1 }).pass).toBe(false); // rtol scales |expected| = 0
    expect(allclose(Number.NaN, Number.NaN).pass).toBe(true);
    expect(allclose(Number.NaN, 1).pass).toBe(false);
    expect(allclose(1, Number.NaN).pass).toBe(false);
    expect(allclose(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY).pass).toBe(true);
    expect(allclose(Number.POSITIVE_INFINITY, 1e30).pass).toBe(false);
  });

  it('compares nested arrays, typed arrays and tensors with each other', () => {
    const t = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    expect(
      allclose(t, [
        [1, 2],
        [3, 4],
      ]).pass,
    ).toBe(true);
    expect(allclose(t, Float64Array.from([1, 2, 3, 4])).pass).toBe(true); // flat stands for any shape
    expect(
      allclose(
        [
          [1, 2],
          [3, 4],
        ],
        t,
      ).pass,
    ).toBe(true);
    expect(allclose(Float32Array.from([0.1, 0.2]), [0.1, 0.2]).pass).toBe(true); // float32 rounding < rtol
    expect(
      allclose(t, [
        [1, 2],
        [3, 4.1],
      ]).pass,
    ).toBe(false);
    expect(allclose(tf.scalar(2), 2).pass).toBe(true);
    expect(allclose(t, 2.5, { atol: 1.5 }).pass).toBe(true); // a one-element expected broadcasts
    expect(allclose(t, 2.5, { atol: 1 }).pass).toBe(false);
    tf.dispose(t);
  });

  it('compares trees and names the worst element and its path', () => {
    const a = {
      layers: [
        { w: [1, 2, 3], b: 0 },
        { w: [4, 5, 6], b: 1 },
      ],
      lr: 0.1,
    };
    const e = {
      layers: [
        { w: [1, 2, 3.01], b: 0 },
        { w: [4, 5.5, 6], b: 1 },
      ],
      lr: 0.1,
    };
    const r = allclose(a, e, { rtol: 1e-3 });
    expect(r.pass).toBe(false);
    expect(r.worst).toMatchObject({ path: 'layers.1.w', index: 1, actual: 5, expected: 5.5 });
    expect(r.message).toContain("worst element at 'layers.1.w'[1]: actual 5, expected 5.5");
    expect(allclose(a, e, { rtol: 0.1 }).pass).toBe(true);
    const w = tf.tensor1d([1, 2]);
    expect(allclose({ p: [w, { q: w }] }, { p: [[1, 2], { q: [1, 2] }] }).pass).toBe(true);
    const r2 = allclose({ p: [w, { q: w }] }, { p: [[1, 2], { q: [1, 3] }] });
    expect(r2.message).toMatch(/'p\.1\.q'\[1\]: actual 2, expected 3/);
    w.dispose();
  });

  it('reports structure and shape mismatches', () => {
    expect(allclose({ a: 1, b: 2 }, { a: 1, c: 2 }).message).toBe(
      'structure differs: actual has leaves [a, b], expected [a, c]',
    );
    expect(allclose({ a: 1 }, { a: 1, b: 1 }).pass).toBe(false);
    expect(allclose([1, 2, 3], [1, 2]).message).toBe("shape differs at '<root>': actual [3], expected [2]");
    const t = tf.zeros([2, 3]);
    const u = tf.zeros([3, 2]);
    expect(allclose(t, u).message).toBe("shape differs at '<root>': actual [2, 3], expected [3, 2]");
    expect(
      allclose(
        { x: t },
        {
          x: [
            [0, 0],
            [0, 0],
            [0, 0],
          ],
        },
      ).message,
    ).toMatch(/shape differs at 'x'/);
    expect(() => allclose({ a: 'text' }, { a: 1 })).toThrow(/allclose: leaf 'a' is string/);
    tf.dispose([t, u]);
  });

  it('toBeAllclose passes, fails with the message, and supports .not', () => {
    expect({ a: [1, 2] }).toBeAllclose({ a: [1, 2.000001] });
    expect(() => expect({ a: [1, 2] }).toBeAllclose({ a: [1, 2.1] }, { rtol: 1e-3 })).toThrow(
      /expected values to be allclose: worst element at 'a'\[1\]: actual 2, expected 2\.1/,
    );
    expect([1, 2]).not.toBeAllclose([1, 3]);
    expect(() => expect([1, 2]).not.toBeAllclose([1, 2])).toThrow(/not to be allclose/);
  });
});

import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  disposeTree,
  type TensorTree,
  treeAdd,
  treeAxpy,
  treeCast,
  treeDot,
  treeNorm,
  treeScale,
  treeSub,
  treeZerosLike,
} from './index.js';

type P = { w: tf.Tensor; layers: { b: tf.Tensor }[] };

let a: P;
let b: P;
let before: number;

beforeEach(() => {
  before = tf.memory().numTensors;
  a = {
    w: tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    layers: [{ b: tf.tensor1d([-1, 0.5]) }],
  };
  b = {
    w: tf.tensor2d([
      [10, 20],
      [30, 40],
    ]),
    layers: [{ b: tf.tensor1d([2, 4]) }],
  };
});

afterEach(() => {
  disposeTree([a, b]);
  expect(tf.memory().numTensors).toBe(before);
});

const vals = (t: P) => ({ w: t.w.arraySync(), b: t.layers[0]?.b.arraySync() });

describe('tree math values', () => {
  it('treeAdd / treeSub', () => {
    const s = treeAdd(a, b);
    const d = treeSub(a, b);
    expect(vals(s)).toEqual({
      w: [
        [11, 22],
        [33, 44],
      ],
      b: [1, 4.5],
    });
    expect(vals(d)).toEqual({
      w: [
        [-9, -18],
        [-27, -36],
      ],
      b: [-3, -3.5],
    });
    expect(s.w.shape).toEqual([2, 2]);
    disposeTree([s, d]);
  });
  it('treeScale with a number and with a scalar tensor', () => {
    const s1 = treeScale(a, -2);
    const k = tf.scalar(0.5);
    const s2 = treeScale(a, k);
    expect(vals(s1)).toEqual({
      w: [
        [-2, -4],
        [-6, -8],
      ],
      b: [2, -1],
    });
    expect(vals(s2)).toEqual({
      w: [
        [0.5, 1],
        [1.5, 2],
      ],
      b: [-0.5, 0.25],
    });
    expect(k.isDisposed).toBe(false);
    disposeTree([s1, s2, k]);
  });
  it('treeAxpy computes alpha*x + y', () => {
    const r = treeAxpy(3, a, b);
    expect(vals(r)).toEqual({
      w: [
        [13, 26],
        [39, 52],
      ],
      b: [-1, 5.5],
    });
    disposeTree(r);
  });
  it('treeDot and treeNorm reduce over all leaves', () => {
    const d = treeDot(a, b);
    // 10+40+90+160 + (-2 + 2) = 300
    expect(d.shape).toEqual([]);
    expect(d.arraySync()).toBeCloseTo(300, 4);
    const n = treeNorm(a);
    expect(n.arraySync()).toBeAllclose(Math.sqrt(1 + 4 + 9 + 16 + 1 + 0.25), { rtol: 1e-6 });
    disposeTree([d, n]);
  });
  it('treeDot / treeNorm of an empty tree are 0', () => {
    const d = treeDot({}, {});
    const n = treeNorm([]);
    expect(d.arraySync()).toBe(0);
    expect(n.arraySync()).toBe(0);
    disposeTree([d, n]);
  });
  it('treeZerosLike keeps shapes and dtypes', () => {
    const i = tf.tensor1d([1, 2, 3], 'int32');
    const z = treeZerosLike({ f: a.w, i });
    expect(z.f.shape).toEqual([2, 2]);
    expect(z.f.dtype).toBe('float32');
    expect(z.i.dtype).toBe('int32');
    expect(z.f.arraySync()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(z.i.arraySync()).toEqual([0, 0, 0]);
    disposeTree([z, i]);
  });
  it('treeCast changes every leaf dtype', () => {
    const c = treeCast(a, 'int32');
    expect(c.w.dtype).toBe('int32');
    expect(c.layers[0]?.b.dtype).toBe('int32');
    expect(c.w.arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const back = treeCast(c, 'float32');
    expect(back.w.dtype).toBe('float32');
    disposeTree([c, back]);
  });
  it('does not dispose its inputs', () => {
    disposeTree([treeAdd(a, b), treeSub(a, b), treeScale(a, 2), treeAxpy(1, a, b), treeDot(a, b), treeNorm(a)]);
    expect(a.w.isDisposed || b.w.isDisposed || a.layers[0]?.b.isDisposed).toBe(false);
  });
});

describe('tree math errors', () => {
  it('structure mismatch names the path in both trees', () => {
    const c = { w: a.w, layers: [] } as unknown as P;
    expect(() => treeAdd(a, c)).toThrow(/array of length 1 at 'layers'.*array of length 0 at 'layers'/);
    const d = { v: a.w, layers: a.layers } as unknown as P;
    expect(() => treeDot(a, d)).toThrow(/keys \{layers, w\} at '<root>'.*keys \{layers, v\}/);
    expect(() => treeAxpy(1, a, d)).toThrow(/'<root>'/);
  });
  it('non-tensor leaves name the function, the argument and the path', () => {
    const bad = { w: a.w, layers: [{ b: 1 }] } as unknown as P;
    expect(() => treeAdd(a, bad)).toThrow(/treeAdd: leaf 'layers\.0\.b' of 'b' is number, not a tf\.Tensor/);
    expect(() => treeSub(bad, a)).toThrow(/treeSub: leaf 'layers\.0\.b' of 'a'/);
    expect(() => treeAxpy(2, a, { w: null, layers: a.layers } as unknown as P)).toThrow(
      /treeAxpy: leaf 'w' of 'y' is null/,
    );
    expect(() => treeScale({ x: 'str' } as unknown as TensorTree, 2)).toThrow(/treeScale: leaf 'x' of 'a' is string/);
    expect(() => treeNorm(3 as unknown as TensorTree)).toThrow(/treeNorm: leaf '<root>' of 'a' is number/);
    expect(() => treeDot(bad, a)).toThrow(/treeDot: leaf 'layers\.0\.b' of 'a'/);
    expect(() => treeZerosLike(bad)).toThrow(/treeZerosLike: leaf 'layers\.0\.b' of 'a'/);
    expect(() => treeCast(bad, 'int32')).toThrow(/treeCast: leaf 'layers\.0\.b' of 'a'/);
  });
  it('errors leak nothing', async () => {
    const bad = { w: a.w, layers: [{ b: 1 }] } as unknown as P;
    await expectNoLeak(() => {
      expect(() => treeAdd(a, bad)).toThrow();
      expect(() => treeDot(a, bad)).toThrow();
    });
  });
});

describe('tree math leaks', () => {
  it('each function returns only its result tensors', async () => {
    const cases: [string, () => TensorTree, number][] = [
      ['treeAdd', () => treeAdd(a, b), 2],
      ['treeSub', () => treeSub(a, b), 2],
      ['treeScale', () => treeScale(a, 3), 2],
      ['treeAxpy', () => treeAxpy(3, a, b), 2],
      ['treeDot', () => treeDot(a, b), 1],
      ['treeNorm', () => treeNorm(a), 1],
      ['treeZerosLike', () => treeZerosLike(a), 2],
      ['treeCast', () => treeCast(a, 'int32'), 2],
    ];
    for (const [name, fn, n] of cases) {
      const start = tf.memory().numTensors;
      const out = fn();
      expect(tf.memory().numTensors - start, name).toBe(n);
      disposeTree(out);
      expect(tf.memory().numTensors, name).toBe(start);
      await expectNoLeak(() => disposeTree(fn()), name);
    }
  });
});

import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { assertFinite, disposeTree } from './index.js';

describe('assertFinite', () => {
  it('passes finite numbers, tensors and ignores other leaves', async () => {
    const t = { a: tf.tensor1d([1, 2]), b: [3, { c: tf.scalar(-1e30) }], s: 'label', i: tf.tensor1d([1], 'int32') };
    await expectNoLeak(() => expect(() => assertFinite(t as never, 'params')).not.toThrow());
    disposeTree(t as never);
  });

  it('names the argument, the leaf path, the kind and the index for tensors', () => {
    const t = {
      layers: [
        {
          w: tf.tensor2d([
            [1, 2],
            [3, Number.NaN],
          ]),
        },
        { w: tf.tensor1d([0, Number.POSITIVE_INFINITY]) },
      ],
    };
    expect(() => assertFinite(t, 'params')).toThrow(
      "params: leaf 'layers.0.w' has NaN at index 3; pass finite values.",
    );
    const u = { y: [tf.tensor1d([1]), tf.tensor1d([Number.NEGATIVE_INFINITY])] };
    expect(() => assertFinite(u, 'y0')).toThrow("y0: leaf 'y.1' has -Infinity at index 0");
    const v = { w: tf.tensor1d([0, Number.POSITIVE_INFINITY]) };
    expect(() => assertFinite(v, 'grads')).toThrow("grads: leaf 'w' has Infinity at index 1");
    disposeTree([t, u, v]);
  });

  it('checks number leaves and a bare root value', () => {
    expect(() => assertFinite({ lr: Number.NaN }, 'options')).toThrow("options: leaf 'lr' has NaN at index 0");
    expect(() => assertFinite([1, [2, Number.POSITIVE_INFINITY]], 'xs')).toThrow("xs: leaf '1.1' has Infinity");
    expect(() => assertFinite(Number.NaN, 't0')).toThrow('t0: the value has NaN at index 0');
    const s = tf.scalar(Number.NaN);
    expect(() => assertFinite(s, 'loss')).toThrow('loss: the value has NaN');
    s.dispose();
  });

  it('rejects disposed tensors, naming the leaf', () => {
    const d = tf.tensor1d([1]);
    d.dispose();
    expect(() => assertFinite({ w: d }, 'params')).toThrow("params: leaf 'w' is a disposed tensor");
  });
});

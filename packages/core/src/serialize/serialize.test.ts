import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeTree, paramsFromBinary, paramsFromJSON, paramsToBinary, paramsToJSON } from '../index.js';

const params = () => ({
  layers: [{ weight: tf.tensor2d([1.5, -2, 0.25, 3], [2, 2]), bias: tf.tensor1d([0.1, -0.1]) }],
  scale: tf.scalar(Math.fround(Math.PI)),
});

describe('parameter (de)serialisation in core', () => {
  it('round-trips a tree through JSON and binary bit for bit, into the template structure', () => {
    const p = params();
    const template = params();
    for (const back of [paramsFromJSON(paramsToJSON(p), template), paramsFromBinary(paramsToBinary(p), template)]) {
      expect(((back.layers[0] as { weight: tf.Tensor }).weight as tf.Tensor).arraySync()).toEqual([
        [1.5, -2],
        [0.25, 3],
      ]);
      expect((back.scale as tf.Tensor).dataSync()[0]).toBe(Math.fround(Math.PI));
      disposeTree(back);
    }
    disposeTree([p, template]);
  });

  it('refuses a tree whose structure differs from the template, naming the leaf', () => {
    const p = params();
    const other = { layers: [{ weight: tf.zeros([2, 2]) }], scale: tf.scalar(0) };
    expect(() => paramsFromJSON(paramsToJSON(p), other)).toThrow(/paramsFromJSON/);
    disposeTree([p, other]);
  });
});

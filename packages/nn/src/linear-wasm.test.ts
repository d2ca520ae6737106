import '@tensorflow/tfjs-backend-wasm';
import { disposeTree, mulberry32 } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { mlp } from './index.js';

describe('layers on the wasm backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  it('compute x Wᵀ + b as on cpu (tfjs 4.22 wasm fused matMul with transposeB and bias is wrong)', async () => {
    const net = mlp({
      inSize: 2,
      outSize: 2,
      widthSize: 64,
      depth: 2,
      activation: 'softplus',
      random: mulberry32(5679),
    });
    const xs = Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const onCpu = tf.tidy(() => net.apply(net.params, tf.tensor2d(xs, [32, 2])).arraySync());
    const values = treeValues(net.params);
    disposeTree(net.params);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    const params = {
      layers: values.map((l) => ({ weight: tf.tensor2d(l.weight), bias: tf.tensor1d(l.bias) })),
    };
    const onWasm = tf.tidy(() => net.apply(params, tf.tensor2d(xs, [32, 2])).arraySync());
    expect(onWasm).toBeAllclose(onCpu, { rtol: 1e-5, atol: 1e-6 });
    disposeTree(params);
  });
});

function treeValues(p: { layers: { weight: tf.Tensor2D; bias?: tf.Tensor1D }[] }) {
  return p.layers.map((l) => ({ weight: l.weight.arraySync(), bias: (l.bias as tf.Tensor1D).arraySync() }));
}

import '@tensorflow/tfjs-backend-wasm';
import { disposeTree, mulberry32, valueAndGrad } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { applyLinear, mlp } from './index.js';

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
  it('differentiate x Wᵀ + b (its own gradient on wasm) as on cpu, with and without a bias, for rank-3 inputs', async () => {
    const xs = Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.cos(0.7 * i));
    const ws = Array.from({ length: 4 * 3 }, (_, i) => Math.sin(1.3 * i + 0.2));
    const bs = [0.5, -1, 2, 0.25];
    const run = () => {
      const loss = (p: { x: tf.Tensor; w: tf.Tensor; b?: tf.Tensor }) => {
        const y = applyLinear(
          p.b === undefined ? { weight: p.w as tf.Tensor2D } : { weight: p.w as tf.Tensor2D, bias: p.b as tf.Tensor1D },
          p.x,
        );
        // a non-uniform cotangent, so every entry of dx, dW and db is tested
        return tf.sum(tf.mul(tf.square(y), tf.range(1, 1 + y.size).reshape(y.shape)));
      };
      const out: { value: number; grads: number[][] }[] = [];
      for (const withBias of [true, false]) {
        const p = {
          x: tf.tensor3d(xs, [2, 5, 3]),
          w: tf.tensor2d(ws, [4, 3]),
          ...(withBias ? { b: tf.tensor1d(bs) } : {}),
        };
        const { value, grads } = valueAndGrad(loss)(p);
        const g = grads as { x: tf.Tensor; w: tf.Tensor; b?: tf.Tensor };
        out.push({
          value: value.dataSync()[0] as number,
          grads: [g.x, g.w, ...(g.b ? [g.b] : [])].map((t) => Array.from(t.dataSync())),
        });
        disposeTree([p, value, grads]);
      }
      return out;
    };
    await tf.setBackend('cpu');
    const onCpu = run();
    expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    const onWasm = run();
    expect(tf.memory().numTensors).toBe(before);
    expect(onWasm.map((r) => r.value)).toBeAllclose(
      onCpu.map((r) => r.value),
      { rtol: 1e-5 },
    );
    onWasm.forEach((r, i) => {
      expect(r.grads.length).toBe(i === 0 ? 3 : 2);
      r.grads.forEach((g, j) => {
        expect(g).toBeAllclose(onCpu[i]?.grads[j] as number[], { rtol: 1e-5, atol: 1e-5 });
      });
    });
  });
});

function treeValues(p: { layers: { weight: tf.Tensor2D; bias?: tf.Tensor1D }[] }) {
  return p.layers.map((l) => ({ weight: l.weight.arraySync(), bias: (l.bias as tf.Tensor1D).arraySync() }));
}

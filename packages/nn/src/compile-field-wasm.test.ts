import '@tensorflow/tfjs-backend-wasm';
import { compileField, disposeTree, hostImplementationOf, treeFlatten } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLinear, type LinearParams, linear, mlp } from './index.js';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Opens the compiled `f` on wasm; checks it compiles (no fallback) and agrees with tfjs. */
function checkCompiles(f: (t: number, y: tf.Tensor, p: never) => tf.Tensor, params: unknown, yShape: number[]) {
  const reasons: string[] = [];
  const compiled = compileField(f, { onFallback: (r) => reasons.push(r) });
  const argTensors = treeFlatten<tf.Tensor>(params as never).leaves;
  const session = hostImplementationOf(compiled)?.open(params, yShape, argTensors);
  expect(reasons).toEqual([]);
  expect(session).toBeDefined();
  const n = yShape.reduce((a, b) => a * b, 1);
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + 0.3));
  const ct = Float32Array.from({ length: n }, (_, i) => Math.cos(1.3 * i));
  const want = tf.tidy(() => {
    const yt = tf.tensor(y, yShape);
    const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(f(0.5, z, params as never), tf.tensor(ct, yShape))))(yt);
    return [Array.from(f(0.5, yt, params as never).dataSync()), Array.from(g.dataSync())];
  });
  const argGrads = argTensors.map((a) => new Float64Array(a.size));
  expect(Array.from(session?.evaluate(0.5, y) ?? [])).toBeAllclose(want[0] as number[], { rtol: 1e-5, atol: 1e-6 });
  expect(Array.from(session?.vjp(0.5, y, ct, argGrads) ?? [])).toBeAllclose(want[1] as number[], {
    rtol: 1e-4,
    atol: 1e-5,
  });
}

describe('compileField of nn layers on the wasm backend', () => {
  it('compiles a field using linear (its wasm custom gradient steps aside while tracing)', () => {
    const layer = linear({ inSize: 3, outSize: 3, seed: 3 });
    checkCompiles((_t, y, p: LinearParams) => tf.tanh(applyLinear(p, y)), layer.params, [4, 3]);
    disposeTree(layer.params);
  });

  it('compiles a field using mlp (not its fused op) and agrees with tfjs', () => {
    const net = mlp({ inSize: 2, outSize: 2, widthSize: 8, depth: 2, activation: 'tanh', seed: 4 });
    checkCompiles((_t, y, p: typeof net.params) => net.apply(p, y), net.params, [5, 2]);
    disposeTree(net.params);
  });
});

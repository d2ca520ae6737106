import '@tensorflow/tfjs-backend-wasm';
import { disposeTree } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { modelFromEquations } from './model-from-equations.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** The rates and their gradient in the physics and the first weight, on one backend, as numbers. */
async function ratesOn(backend: 'cpu' | 'wasm'): Promise<{ value: number[]; grads: number[] }> {
  expect(await tf.setBackend(backend)).toBe(true);
  const m = modelFromEquations({
    states: ['r', 'c'],
    parameters: { alpha: 1.1, gamma: 0.7 },
    equations: { r: 'alpha*r + NN1(r, c)', c: '-gamma*c + NN2(r, c)' },
    networks: { NN1: { width: 16, depth: 2, activation: 'tanh' }, NN2: { width: 16, depth: 2, activation: 'tanh' } },
  });
  const p = m.initParams();
  const rows = Array.from({ length: 97 }, (_, i) => [1 + Math.sin(0.37 * i), 1 + 0.8 * Math.cos(0.23 * i)]);
  const y = tf.tensor2d(rows);
  const value = Array.from(m.rates(p, y).dataSync());
  const g = tf.grads((alpha: tf.Tensor, w: tf.Tensor) => {
    const q = { ...p, physics: { ...p.physics, alpha: alpha as tf.Scalar } };
    const nn1 = q.networks.NN1 as unknown as { layers: { weight: tf.Tensor }[] };
    q.networks = { ...q.networks, NN1: { layers: [{ ...nn1.layers[0], weight: w }, ...nn1.layers.slice(1)] } as never };
    return tf.sum(tf.square(m.rates(q, y)));
  })([
    p.physics.alpha as tf.Tensor,
    (p.networks.NN1 as unknown as { layers: { weight: tf.Tensor }[] }).layers[0]?.weight as tf.Tensor,
  ]);
  const grads = g.flatMap((t) => Array.from(t.dataSync()));
  tf.dispose([y, ...g]);
  disposeTree(p);
  return { value, grads };
}

describe('EquationsModel.rates across backends', () => {
  it('gives the same float32 numbers (values and gradients) on the cpu and wasm backends', async () => {
    const cpu = await ratesOn('cpu');
    const wasm = await ratesOn('wasm');
    expect(wasm.value).toEqual(cpu.value);
    expect(wasm.grads).toEqual(cpu.grads);
    expect(wasm.grads.length).toBeGreaterThan(16);
  });
});

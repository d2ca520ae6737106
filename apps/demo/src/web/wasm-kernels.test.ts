import '@tensorflow/tfjs-backend-wasm';
import { useBackend } from '@odekit/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { registerMissingWasmKernels } from './wasm-kernels.js';

describe('UnsortedSegmentSum on wasm', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('matches the cpu backend, and makes the gradient of gather work on wasm', async () => {
    const x = [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ];
    const ids = [2, 0, 2, -1];
    await useBackend('cpu');
    const onCpu = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x), tf.tensor1d(ids, 'int32'), 3).arraySync());
    const gradCpu = tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, tf.tensor1d([0, 2, 2], 'int32')), tf.tensor1d([1, 2, 3]))))(
          tf.tensor1d([1, 1, 1]),
        )
        .arraySync(),
    );

    registerMissingWasmKernels();
    registerMissingWasmKernels(); // twice is harmless
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const onWasm = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x), tf.tensor1d(ids, 'int32'), 3).arraySync());
    const gradWasm = tf.tidy(() =>
      tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, tf.tensor1d([0, 2, 2], 'int32')), tf.tensor1d([1, 2, 3]))))(
          tf.tensor1d([1, 1, 1]),
        )
        .arraySync(),
    );
    expect(onWasm).toEqual(onCpu);
    expect(onWasm).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
    ]);
    expect(gradWasm).toEqual(gradCpu);
    expect(gradWasm).toEqual([1, 0, 5]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

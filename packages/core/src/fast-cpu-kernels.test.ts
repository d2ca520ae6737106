import { expectNoLeak } from '@odekit/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { both, rand, useFastCpuKernels } from './cpu-kernels/compare.test-support.js';
import { FAST_CPU_KERNEL_NAMES } from './fast-cpu-kernels.js';
import { createRng, fastCpuKernelsInstalled, installFastCpuKernels, uninstallFastCpuKernels } from './index.js';

useFastCpuKernels();

describe('gradients through the fast kernels', () => {
  it('equal the gradients through tfjs kernels within 1e-5 of each leaf’s largest entry (a small MLP-with-physics loss)', () => {
    const local = createRng(11); // its own stream: the inputs do not depend on which tests ran first
    const r = (shape: number[]) => local.uniform(shape, -2, 2);
    const x = r([64, 2]);
    const p = { W1: r([8, 2]), b1: r([8]), W2: r([1, 8]), b2: r([1]), out: r([4, 2]) };
    const loss = (W1: tf.Tensor, b1: tf.Tensor, W2: tf.Tensor, b2: tf.Tensor, out: tf.Tensor) => {
      const h = tf.tanh(tf.add(tf.matMul(x, W1, false, true), b1));
      const nn = tf.add(tf.matMul(h, W2, false, true), b2);
      const rc = tf.prod(x, 1, true);
      const z = tf.concat([x, rc, tf.div(tf.mul(nn, rc), tf.add(tf.abs(rc), 3))], 1);
      return tf.sum(tf.square(tf.sub(tf.matMul(z, out), 0.5)));
    };
    const g = tf.grads(loss);
    const args = [p.W1, p.b1, p.W2, p.b2, p.out];
    const { fast, orig } = both(() => tf.tidy(() => g(args)).map((t) => Array.from(t.dataSync())));
    for (const [i, leaf] of orig.entries()) {
      const scale = Math.max(...leaf.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      // float32 sums over 64 samples, accumulated differently by the two matMuls
      expect(fast[i]).toBeAllclose(leaf, { rtol: 0, atol: 1e-5 * scale });
    }
    tf.dispose([x, ...args]);
  });
});

describe('installFastCpuKernels / uninstallFastCpuKernels', () => {
  it('are idempotent, restore the very configs tfjs registered, and touch only the listed kernels', () => {
    uninstallFastCpuKernels();
    const originals = FAST_CPU_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'));
    const untouched = tf.getKernel('Exp', 'cpu');
    uninstallFastCpuKernels();
    expect(fastCpuKernelsInstalled()).toBe(false);
    installFastCpuKernels();
    const installed = FAST_CPU_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'));
    installFastCpuKernels();
    expect(FAST_CPU_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'))).toEqual(installed);
    expect(installed.every((c, i) => c !== originals[i])).toBe(true);
    expect(fastCpuKernelsInstalled()).toBe(true);
    uninstallFastCpuKernels();
    uninstallFastCpuKernels();
    for (const [i, n] of FAST_CPU_KERNEL_NAMES.entries()) expect(tf.getKernel(n, 'cpu')).toBe(originals[i]);
    expect(tf.getKernel('Exp', 'cpu')).toBe(untouched);
    installFastCpuKernels();
    expect(FAST_CPU_KERNEL_NAMES).toEqual(
      expect.arrayContaining([
        'Add',
        'Sub',
        'Multiply',
        'RealDiv',
        'BatchMatMul',
        '_FusedMatMul',
        'Tanh',
        'Concat',
        'Prod',
      ]),
    );
  });

  it('leak no tensors and no backend data, on fast paths and delegated ones', async () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = rand([6, 4]);
    const i = tf.tensor1d([1, 2], 'int32');
    const run = () =>
      tf.tidy(() => {
        tf.tanh(tf.add(tf.matMul(a, a, false, true), tf.sub(tf.mul(a, a), tf.div(a, 2)).sum()));
        tf.concat([a, a], 1);
        tf.prod(a, 1, true);
        tf.fused.matMul({ a, b: a, transposeB: true, bias: tf.ones([6]), activation: 'relu' });
        tf.add(i, i);
        tf.concat([i, i]);
      });
    run();
    const ids = backend.numDataIds();
    await expectNoLeak(run, 'fast kernels');
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([a, i]);
  });
});

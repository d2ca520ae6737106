import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BackendName,
  createRng,
  disposeTree,
  fastCpuKernelsInstalled,
  silenceTfjs,
  type UseBackendOptions,
  useBackend,
  valueAndGrad,
} from './index.js';

afterAll(async () => {
  await useBackend('cpu');
});

/** A small MLP loss and a matMul, run on the current backend; returns plain numbers. */
function workload() {
  const rng = createRng(31);
  const params = {
    w1: rng.normal([3, 8], 0, 0.5),
    b1: rng.normal([8], 0, 0.1),
    w2: rng.normal([8, 2], 0, 0.5),
  };
  const x = rng.uniform([5, 3], -1, 1);
  const y = rng.normal([5, 2]);
  const loss = (p: typeof params) =>
    tf.mean(tf.square(tf.sub(tf.matMul(tf.tanh(tf.add(tf.matMul(x, p.w1), p.b1)), p.w2), y)));
  const { value, grads } = valueAndGrad(loss)(params);
  const mm = tf.matMul(x, params.w1);
  const out = {
    value: value.arraySync() as number,
    grads: {
      w1: Array.from(grads.w1.dataSync()),
      b1: Array.from(grads.b1.dataSync()),
      w2: Array.from(grads.w2.dataSync()),
    },
    mm: Array.from(mm.dataSync()),
  };
  disposeTree([params, x, y, value, grads, mm]);
  return out;
}

describe('useBackend', () => {
  it('switches cpu → wasm → cpu and the same computation agrees within float32 tolerance', async () => {
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const onCpu = workload();
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const onWasm = workload();
    expect(tf.memory().numTensors).toBe(before);
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(onWasm).toBeAllclose(onCpu, { rtol: 1e-5, atol: 1e-6 });
    // and is not trivially equal to something else
    expect(onWasm.value).not.toBe(0);
    expect(workload()).toEqual(onCpu);
  });

  it('installs the fast cpu kernels by default and restores tfjs kernels with fastKernels: false', async () => {
    await useBackend('cpu', { fastKernels: false });
    expect(fastCpuKernelsInstalled()).toBe(false);
    const onTfjsKernels = workload();
    await useBackend('cpu');
    expect(fastCpuKernelsInstalled()).toBe(true);
    expect(workload()).toBeAllclose(onTfjsKernels, { rtol: 1e-5, atol: 1e-6 });
    // switching to wasm and back keeps them
    await useBackend('wasm', { fastKernels: false });
    await useBackend('cpu');
    expect(fastCpuKernelsInstalled()).toBe(true);
  });

  it('rejects unknown options and a non-boolean fastKernels, naming the option', async () => {
    await expect(useBackend('cpu', { fast: true } as UseBackendOptions)).rejects.toThrow(
      /useBackend: unknown option 'fast'; the only option is fastKernels/,
    );
    await expect(useBackend('cpu', { fastKernels: 'yes' } as unknown as UseBackendOptions)).rejects.toThrow(
      /useBackend: options.fastKernels must be true or false, got yes/,
    );
    expect(fastCpuKernelsInstalled()).toBe(true);
  });

  it('rejects unknown and unregistered backends, naming the fix', async () => {
    await expect(useBackend('tpu' as BackendName)).rejects.toThrow(
      /useBackend: unknown backend 'tpu'; use one of cpu, wasm, webgl/,
    );
    if (tf.findBackendFactory('webgl') != null) {
      // @tensorflow/tfjs registers webgl even in Node, where it cannot initialise
      await expect(useBackend('webgl')).rejects.toThrow(/useBackend: backend 'webgl' failed to initialise/);
      tf.removeBackend('webgl');
    }
    await expect(useBackend('webgl')).rejects.toThrow(
      /useBackend: backend 'webgl' is not registered; import '@tensorflow\/tfjs-backend-webgl'/,
    );
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('silenceTfjs', () => {
  it('switches tfjs to production mode and is idempotent', () => {
    silenceTfjs();
    silenceTfjs();
    expect(tf.env().getBool('PROD')).toBe(true);
  });
});

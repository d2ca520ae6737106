import * as tf from '@tensorflow/tfjs-core';
import { BINARY_LOOPS, fastBinaryKernel } from './cpu-kernels/binary.js';
import { fastConcatKernel } from './cpu-kernels/concat.js';
import { fastGatherKernel, fastSliceKernel, fastTransposeKernel } from './cpu-kernels/gather-slice-transpose.js';
import { fastBatchMatMulKernel, fastFusedMatMulKernel } from './cpu-kernels/matmul.js';
import { fastProdKernel } from './cpu-kernels/prod.js';
import { fastTanhKernel } from './cpu-kernels/tanh.js';

type MakeKernel = (original: tf.KernelFunc) => tf.KernelFunc;

/** The cpu kernels odekit replaces, each built around tfjs's original for the cases it leaves. */
const FAST_KERNELS: Readonly<Record<string, MakeKernel>> = Object.freeze({
  ...Object.fromEntries(
    Object.entries(BINARY_LOOPS).map(([name, loop]) => [name, (o: tf.KernelFunc) => fastBinaryKernel(loop, o)]),
  ),
  BatchMatMul: fastBatchMatMulKernel,
  _FusedMatMul: fastFusedMatMulKernel,
  Tanh: fastTanhKernel,
  Concat: fastConcatKernel,
  Prod: fastProdKernel,
  GatherV2: fastGatherKernel,
  Slice: fastSliceKernel,
  Transpose: fastTransposeKernel,
});

/** Marks an installed config; its value is the config it replaced. Shared by every copy of core. */
const ORIGINAL = Symbol.for('@odekit/core:fast-cpu-kernel-original');

type FastConfig = tf.KernelConfig & { [ORIGINAL]: tf.KernelConfig };

function installedConfig(name: string): FastConfig | undefined {
  const config = tf.getKernel(name, 'cpu') as Partial<FastConfig> | undefined;
  return config?.[ORIGINAL] === undefined ? undefined : (config as FastConfig);
}

/**
 * Replaces tfjs-backend-cpu's Add, Sub, Multiply, RealDiv, BatchMatMul, _FusedMatMul, Tanh,
 * Concat, Prod, GatherV2, Slice and Transpose kernels with faster ones for float32 (binary ops
 * with any broadcast as strided loops, matMul as contiguous loops with float64 accumulation, a
 * rational tanh within 2 float32 ulp, row-copy concat, products over trailing axes, and gather,
 * slice and transpose as copies of contiguous runs instead of per-element index arithmetic). Every other case (int32, bool, complex, unusual batch broadcasting, fused
 * activations other than linear/relu) is handed to tfjs's original kernel. Gradients are
 * registered per kernel name, so they are unchanged.
 *
 * `useBackend('cpu')` calls this; it is idempotent and affects the whole process (the kernel
 * registry is global). {@link uninstallFastCpuKernels} restores tfjs's kernels.
 *
 * @throws Error when the cpu backend's kernels are not registered: import
 *   `@tensorflow/tfjs-backend-cpu` (or `@tensorflow/tfjs`) first.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fastCpuKernelsInstalled, installFastCpuKernels } from '@odekit/core';
 * installFastCpuKernels();
 * if (!fastCpuKernelsInstalled()) throw new Error('not installed');
 * const y = tf.tidy(() => tf.tanh(tf.add(tf.matMul(tf.ones([3, 2]), tf.ones([2, 4])), tf.ones([4]))));
 * if (Math.abs((y.dataSync()[0] as number) - Math.tanh(3)) > 1e-6) throw new Error('bad');
 * y.dispose();
 * ```
 */
export function installFastCpuKernels(): void {
  const missing = Object.keys(FAST_KERNELS).filter((name) => tf.getKernel(name, 'cpu') === undefined);
  if (missing.length > 0) {
    throw new Error(
      `installFastCpuKernels: tfjs's cpu kernels (${missing.join(', ')}) are not registered; ` +
        "import '@tensorflow/tfjs-backend-cpu' (or '@tensorflow/tfjs') first.",
    );
  }
  for (const [name, make] of Object.entries(FAST_KERNELS)) {
    if (installedConfig(name) !== undefined) continue;
    const original = tf.getKernel(name, 'cpu') as tf.KernelConfig;
    const fast: FastConfig = { ...original, kernelFunc: make(original.kernelFunc), [ORIGINAL]: original };
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(fast);
  }
}

/**
 * Restores tfjs-backend-cpu's own kernels where {@link installFastCpuKernels} replaced them.
 * Idempotent; a no-op when nothing is installed. `useBackend('cpu', { fastKernels: false })`
 * calls it.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs';
 * import { fastCpuKernelsInstalled, installFastCpuKernels, uninstallFastCpuKernels } from '@odekit/core';
 * installFastCpuKernels();
 * uninstallFastCpuKernels();
 * if (fastCpuKernelsInstalled()) throw new Error('still installed');
 * installFastCpuKernels(); // back to odekit's default
 * ```
 */
export function uninstallFastCpuKernels(): void {
  for (const name of Object.keys(FAST_KERNELS)) {
    const config = installedConfig(name);
    if (config === undefined) continue;
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(config[ORIGINAL]);
  }
}

/**
 * Whether odekit's fast cpu kernels are installed (all of them).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs';
 * import { fastCpuKernelsInstalled, useBackend } from '@odekit/core';
 * await useBackend('cpu');
 * if (!fastCpuKernelsInstalled()) throw new Error('useBackend installs them');
 * ```
 */
export function fastCpuKernelsInstalled(): boolean {
  return Object.keys(FAST_KERNELS).every((name) => installedConfig(name) !== undefined);
}

/** Names of the kernels {@link installFastCpuKernels} replaces (for tests and docs). */
export const FAST_CPU_KERNEL_NAMES: readonly string[] = Object.freeze(Object.keys(FAST_KERNELS));

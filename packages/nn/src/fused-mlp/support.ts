import { fusedMlpRuntime } from './runtime.js';

/**
 * Whether the fused MLP kernels run in this JavaScript engine now (WebAssembly with 128-bit
 * SIMD); where they do not, `mlp` uses tfjs ops. On a browser's main thread the module
 * compiles asynchronously: await {@link fusedMlpReady} first.
 *
 * @example
 * ```ts
 * import { fusedMlpSupported } from '@odekit/nn';
 * if (typeof fusedMlpSupported() !== 'boolean') throw new Error('bad');
 * ```
 */
export function fusedMlpSupported(): boolean {
  return fusedMlpRuntime.load() !== null;
}

/**
 * Resolves once the fused MLP kernels are compiled (`true`) or known to be unavailable
 * (`false`). In Node the module compiles synchronously at first use; on a browser's main thread
 * awaiting this before training lets the first steps use the kernels too.
 *
 * @example
 * ```ts
 * import { fusedMlpReady } from '@odekit/nn';
 * if ((await fusedMlpReady()) !== true) throw new Error('Node runs the kernels');
 * ```
 */
export function fusedMlpReady(): Promise<boolean> {
  return fusedMlpRuntime.ready();
}

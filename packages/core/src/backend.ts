import * as tf from '@tensorflow/tfjs-core';
import { installFastCpuKernels, uninstallFastCpuKernels } from './fast-cpu-kernels.js';

/** The tfjs backends odekit supports. */
export type BackendName = 'cpu' | 'wasm' | 'webgl';

const KNOWN: readonly BackendName[] = ['cpu', 'wasm', 'webgl'];

const IMPORT_HINT: Record<BackendName, string> = {
  cpu: "import '@tensorflow/tfjs-backend-cpu' (or '@tensorflow/tfjs')",
  wasm: "import '@tensorflow/tfjs-backend-wasm'",
  webgl: "import '@tensorflow/tfjs-backend-webgl' (or '@tensorflow/tfjs') in a browser",
};

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /**
   * cpu only: install odekit's faster float32 kernels over tfjs-backend-cpu's
   * ({@link installFastCpuKernels}; default `true`), or restore tfjs's own with `false`.
   * Ignored for other backends.
   */
  fastKernels?: boolean;
}

/**
 * Switches tfjs to `name` and waits until the backend is ready.
 *
 * The backend must be registered first by importing its package (`@tensorflow/tfjs` registers
 * cpu and webgl; `@tensorflow/tfjs-backend-wasm` registers wasm). For `'cpu'`, odekit's faster
 * float32 kernels (Add, Sub, Multiply, RealDiv, BatchMatMul, _FusedMatMul, Tanh, Concat, Prod) are
 * installed over tfjs's, process-wide; pass `{ fastKernels: false }` to keep (or restore)
 * tfjs's own kernels.
 *
 * @throws Error naming the package to import when the backend is not registered or fails to
 *   initialise; Error naming the option when `options` has an unknown key or a non-boolean
 *   `fastKernels`.
 * @example
 * ```ts
 * import '@tensorflow/tfjs';
 * import * as tf from '@tensorflow/tfjs';
 * import { useBackend } from '@odekit/core';
 * await useBackend('cpu'); // with odekit's fast cpu kernels
 * if (tf.getBackend() !== 'cpu') throw new Error('bad');
 * await useBackend('cpu', { fastKernels: false }); // tfjs's own kernels
 * await useBackend('cpu');
 * ```
 */
export async function useBackend(name: BackendName, options: UseBackendOptions = {}): Promise<void> {
  if (!KNOWN.includes(name)) {
    throw new Error(`useBackend: unknown backend '${String(name)}'; use one of ${KNOWN.join(', ')}.`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'fastKernels') throw new Error(`useBackend: unknown option '${key}'; the only option is fastKernels.`);
  }
  const { fastKernels = true } = options;
  if (typeof fastKernels !== 'boolean') {
    throw new Error(`useBackend: options.fastKernels must be true or false, got ${String(fastKernels)}.`);
  }
  if (tf.findBackendFactory(name) == null) {
    throw new Error(`useBackend: backend '${name}' is not registered; ${IMPORT_HINT[name]} before calling useBackend.`);
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`useBackend: backend '${name}' failed to initialise; check the console for tfjs's reason.`);
  }
  if (name === 'cpu') {
    if (fastKernels) installFastCpuKernels();
    else uninstallFastCpuKernels();
  }
}

/**
 * Silences tfjs's console banner in Node ("Hi there 👋 … install tfjs-node") and its debug
 * checks, by switching tfjs to production mode. Call it once at start-up.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { silenceTfjs } from '@odekit/core';
 * silenceTfjs();
 * if (!tf.env().getBool('PROD')) throw new Error('not in prod mode');
 * ```
 */
export function silenceTfjs(): void {
  if (!tf.env().getBool('PROD')) tf.enableProdMode();
}

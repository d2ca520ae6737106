import * as tf from '@tensorflow/tfjs-core';

/** The tfjs backends odekit supports. */
export type BackendName = 'cpu' | 'wasm' | 'webgl';

const KNOWN: readonly BackendName[] = ['cpu', 'wasm', 'webgl'];

const IMPORT_HINT: Record<BackendName, string> = {
  cpu: "import '@tensorflow/tfjs-backend-cpu' (or '@tensorflow/tfjs')",
  wasm: "import '@tensorflow/tfjs-backend-wasm'",
  webgl: "import '@tensorflow/tfjs-backend-webgl' (or '@tensorflow/tfjs') in a browser",
};

/**
 * Switches tfjs to `name` and waits until the backend is ready.
 *
 * The backend must be registered first by importing its package (`@tensorflow/tfjs` registers
 * cpu and webgl; `@tensorflow/tfjs-backend-wasm` registers wasm).
 *
 * @throws Error naming the package to import when the backend is not registered or fails to
 *   initialise.
 * @example
 * ```ts
 * import '@tensorflow/tfjs';
 * import * as tf from '@tensorflow/tfjs';
 * import { useBackend } from '@odekit/core';
 * await useBackend('cpu');
 * if (tf.getBackend() !== 'cpu') throw new Error('bad');
 * ```
 */
export async function useBackend(name: BackendName): Promise<void> {
  if (!KNOWN.includes(name)) {
    throw new Error(`useBackend: unknown backend '${String(name)}'; use one of ${KNOWN.join(', ')}.`);
  }
  if (tf.findBackendFactory(name) == null) {
    throw new Error(`useBackend: backend '${name}' is not registered; ${IMPORT_HINT[name]} before calling useBackend.`);
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`useBackend: backend '${name}' failed to initialise; check the console for tfjs's reason.`);
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

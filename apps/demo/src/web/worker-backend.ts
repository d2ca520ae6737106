import { silenceTfjs, useBackend } from '@odekit/core';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { PageBackend } from './setup.js';
import { registerMissingWasmKernels } from './wasm-kernels.js';

/**
 * Which of the page's backends this worker can run: `wasm` and `cpu` always; `webgl` when the
 * worker has an `OffscreenCanvas` with a WebGL context.
 *
 * @example
 * ```ts
 * const names = availableBackends(); // e.g. ['wasm', 'cpu'] in headless Chromium without a GPU
 * ```
 */
export function availableBackends(): PageBackend[] {
  const names: PageBackend[] = ['wasm', 'cpu'];
  try {
    const canvas = new OffscreenCanvas(1, 1);
    if (canvas.getContext('webgl2') !== null || canvas.getContext('webgl') !== null) names.push('webgl');
  } catch {
    // no OffscreenCanvas: no webgl in a worker
  }
  return names;
}

/**
 * Switches tfjs to `name` inside the worker. The wasm backend loads its binaries from the page's
 * own bundled assets (never a CDN), so the built site works offline.
 *
 * @throws Error naming the backend when it cannot start here.
 */
export async function startBackend(name: PageBackend): Promise<void> {
  if (name === 'wasm') {
    registerMissingWasmKernels();
    setWasmPaths(
      {
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
      },
      true,
    );
  }
  if (tf.getBackend() === name) return;
  await useBackend(name);
  silenceTfjs();
}

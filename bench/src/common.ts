import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { silenceTfjs, useBackend } from '@odekit/core';

/** Parses `--name value` flags. */
export function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/**
 * Selects the backend named by `--backend` (cpu by default); on cpu, `--fast-kernels off` keeps
 * tfjs's own kernels instead of @odekit/core's (for before/after comparisons).
 */
export async function setup(): Promise<'cpu' | 'wasm'> {
  silenceTfjs();
  const backend = (flag('backend', 'cpu') as 'cpu' | 'wasm') ?? 'cpu';
  const fastKernels = flag('fast-kernels', 'on');
  if (fastKernels !== 'on' && fastKernels !== 'off') throw new Error('bench: --fast-kernels takes on or off');
  await useBackend(backend, { fastKernels: fastKernels === 'on' });
  return backend;
}

/** Median wall time (ms) of `fn` over `runs` runs after `warmup` runs. */
export function medianMs(fn: () => void, runs = 15, warmup = 5): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** Prints one JSON line. */
export function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

export { tf };

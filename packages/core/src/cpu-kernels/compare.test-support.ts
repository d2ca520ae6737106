// Shared by the fast cpu kernels' tests (not a test file itself): compare a fast kernel with tfjs's
// own on the same inputs.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import { createRng, installFastCpuKernels, uninstallFastCpuKernels } from '../index.js';

/** The cpu backend with the fast kernels installed for the calling test file (and after it). */
export function useFastCpuKernels(): void {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    installFastCpuKernels();
  });
  afterAll(() => installFastCpuKernels());
}

/** Runs `f` once with the fast kernels and once with tfjs's; returns both results as plain data. */
export function both<T>(f: () => T): { fast: T; orig: T } {
  installFastCpuKernels();
  const fast = f();
  uninstallFastCpuKernels();
  try {
    return { fast, orig: f() };
  } finally {
    installFastCpuKernels();
  }
}

/** Values, shape and dtype of what `f` returns (disposed). */
export function read(f: () => tf.Tensor): { values: number[]; shape: number[]; dtype: string } {
  const t = tf.tidy(f);
  const out = { values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype };
  t.dispose();
  return out;
}

const rng = createRng(7);
/** Random float32 values in [-2, 2] (plain numbers, so both runs see the same inputs). */
export function randomValues(n: number): Float32Array {
  const t = rng.uniform([n], -2, 2);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}
export const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);
export const rand = (shape: number[]) => tf.tensor(randomValues(sizeOf(shape)), shape);

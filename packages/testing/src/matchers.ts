import { expect } from 'vitest';
import { type AllcloseOptions, allclose } from './allclose.js';

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's declaration
  interface Matchers<T = any> {
    /** Elementwise `|actual − expected| ≤ atol + rtol·|expected|` over numbers, arrays, tensors, trees. */
    toBeAllclose(expected: unknown, options?: AllcloseOptions): T;
  }
}

/**
 * Registers `expect(x).toBeAllclose(y, { rtol, atol })` with vitest. The root vitest config runs
 * this as a setup file for every project.
 */
export function installMatchers(): void {
  expect.extend({
    toBeAllclose(received: unknown, expected: unknown, options?: AllcloseOptions) {
      const r = allclose(received, expected, options);
      return {
        pass: r.pass,
        message: () =>
          r.pass ? `expected values not to be allclose (${r.message})` : `expected values to be allclose: ${r.message}`,
      };
    },
  });
}

import { describe, expect, it } from 'vitest';
import { combineInto, stageCombination, wasmCombine } from './host-combine.js';

/** The reference: one pass over `out` per term, terms added left to right. */
function naive(n: number, w0: number, base: ArrayLike<number> | undefined, cs: number[], ks: Float32Array[]) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = base === undefined ? 0 : w0 * (base[i] as number);
  cs.forEach((c, j) => {
    const k = ks[j] as Float32Array;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + c * (k[i] as number);
  });
  return out;
}

describe('combineInto', () => {
  it('runs large states in the WebAssembly kernel, bit for bit as the term-by-term sum, cached stages and all', () => {
    let seed = 11;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    // the same stages reused across calls (cache hits), and sizes that change (a new layout)
    for (const n of [1001, 4096, 1001, 300]) {
      const ks = Array.from({ length: 9 }, () => Float32Array.from({ length: n }, () => rand() * 50));
      const base = Float64Array.from({ length: n }, () => rand() * 1e3);
      for (let m = 0; m <= 9; m++) {
        for (const w0 of [1, 0.3]) {
          for (const b of [base, undefined]) {
            const cs = Array.from({ length: m }, () => rand() * 0.1);
            const used = ks.slice(9 - m);
            const out = new Float64Array(n);
            expect(wasmCombine(out, n, w0, b, cs, used)).toBe(true);
            expect(Array.from(out)).toEqual(Array.from(naive(n, w0, b, cs, used)));
            expect(Array.from(combineInto(new Float64Array(n), n, w0, b, cs, used))).toEqual(Array.from(out));
          }
        }
      }
    }
  });

  it('equals the term-by-term sum bit for bit for 0–9 terms, any base weight, with or without a base', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    const n = 37;
    for (let m = 0; m <= 9; m++) {
      for (const w0 of [1, 0, 0.3, -2.5]) {
        for (const withBase of [true, false]) {
          const base = withBase ? Float64Array.from({ length: n }, () => rand() * 1e3) : undefined;
          const cs = Array.from({ length: m }, () => rand() * 0.1);
          const ks = Array.from({ length: m }, () => Float32Array.from({ length: n }, () => rand() * 50));
          const got = combineInto(new Float64Array(n), n, w0, base, cs, ks);
          expect(Array.from(got)).toEqual(Array.from(naive(n, w0, base, cs, ks)));
        }
      }
    }
  });

  it('propagates NaN and writes only the first n entries of out', () => {
    const out = new Float64Array(4).fill(9);
    combineInto(out, 2, 1, [1, Number.NaN], [2], [Float32Array.from([1, 1])]);
    expect(out[0]).toBe(3);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(9);
  });

  it('stageCombination scales coefficients by h, skips zeros and uses min(coef, k) terms', () => {
    const k = [Float32Array.from([1, 2]), Float32Array.from([10, 20]), Float32Array.from([100, 200])];
    const got = stageCombination(2, Float64Array.from([0.5, 0.5]), [1, 0, 3, 4], k, 0.5);
    expect(Array.from(got)).toEqual([0.5 + 0.5 + 150, 0.5 + 1 + 300]);
    expect(Array.from(stageCombination(2, undefined, [2], k, 1))).toEqual([2, 4]);
  });
});

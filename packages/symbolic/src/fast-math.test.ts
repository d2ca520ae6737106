import { describe, expect, it } from 'vitest';
import { fastCos, fastExp, fastSin } from './fast-math.js';

/** Deterministic uniform samples in [lo, hi) (Park–Miller). */
function samples(lo: number, hi: number, count: number, seed: number): Float64Array {
  const out = new Float64Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 16807) % 2147483647;
    out[i] = lo + ((hi - lo) * s) / 2147483647;
  }
  return out;
}

function grid(lo: number, hi: number, count: number): Float64Array {
  return Float64Array.from({ length: count + 1 }, (_, i) => lo + ((hi - lo) * i) / count);
}

/** Largest |f(x) − g(x)| / |g(x)| over xs (0 where they agree exactly). */
function maxRelError(f: (x: number) => number, g: (x: number) => number, xs: Float64Array): number {
  let worst = 0;
  for (const x of xs) {
    const got = f(x);
    const want = g(x);
    if (got !== want) worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
  }
  return worst;
}

// 4e-16 ≈ 2 ulp at the bottom of a binade (measured: ≤ 1 ulp, 2.22e-16, for all three)
const REL = 4e-16;

const SPECIAL = [
  Number.NaN,
  0,
  -0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  1e-300,
  1e300,
  -1e300,
];

describe('fastExp', () => {
  it('is within 4e-16 relative of Math.exp on [-700, 700] and near 0', () => {
    expect(maxRelError(fastExp, Math.exp, grid(-700, 700, 400_000))).toBeLessThanOrEqual(REL);
    expect(maxRelError(fastExp, Math.exp, samples(-700, 700, 200_000, 1))).toBeLessThanOrEqual(REL);
    expect(maxRelError(fastExp, Math.exp, samples(-3, 3, 200_000, 2))).toBeLessThanOrEqual(REL);
    expect(maxRelError(fastExp, Math.exp, samples(-1e-6, 1e-6, 20_000, 3))).toBeLessThanOrEqual(REL);
  });

  it('hands NaN, ±∞, overflow and underflow (subnormal results) to Math.exp', () => {
    for (const x of [...SPECIAL, 708.5, 709.7, 710, -708.5, -720, -745.1, -746]) {
      expect(Object.is(fastExp(x), Math.exp(x)), `exp(${x})`).toBe(true);
    }
    expect(fastExp(0)).toBe(1);
    expect(fastExp(-0)).toBe(1);
  });
});

describe('fastSin and fastCos', () => {
  it('are within 4e-16 relative of Math.sin/Math.cos on [-1e5, 1e5] and on [-10, 10]', () => {
    for (const xs of [grid(-1e5, 1e5, 400_000), samples(-1e5, 1e5, 200_000, 4), samples(-10, 10, 200_000, 5)]) {
      expect(maxRelError(fastSin, Math.sin, xs)).toBeLessThanOrEqual(REL);
      expect(maxRelError(fastCos, Math.cos, xs)).toBeLessThanOrEqual(REL);
    }
  });

  it('stay within 2e-16 absolute near multiples of π/2 (and relative 4e-16 there too)', () => {
    const xs: number[] = [];
    for (let k = -70_000; k <= 70_000; k += 7) {
      const c = (k * Math.PI) / 2;
      for (const d of [0, 1e-15, -1e-12, 1e-9, -1e-6, 1e-5, -3e-5, 1e-4, 0.01]) xs.push(c + d);
      xs.push(c * (1 + Number.EPSILON), c * (1 - Number.EPSILON));
    }
    let absWorst = 0;
    for (const x of xs) {
      absWorst = Math.max(absWorst, Math.abs(fastSin(x) - Math.sin(x)), Math.abs(fastCos(x) - Math.cos(x)));
    }
    expect(absWorst).toBeLessThanOrEqual(2e-16);
    const arr = Float64Array.from(xs);
    expect(maxRelError(fastSin, Math.sin, arr)).toBeLessThanOrEqual(REL);
    expect(maxRelError(fastCos, Math.cos, arr)).toBeLessThanOrEqual(REL);
  });

  it('give Math’s values for NaN, ±0, ±∞, tiny and huge arguments (up to 1e6 fast, beyond by Math)', () => {
    for (const x of [...SPECIAL, 1e-20, -1e-20, 1e6, -1e6, 1e6 + 0.5, 2e6, 1e15]) {
      if (Math.abs(x) <= 1e6 && Math.abs(x) >= 1e-5) {
        // the fast path: within 1 ulp
        expect(Math.abs(fastSin(x) - Math.sin(x))).toBeLessThanOrEqual(REL * Math.abs(Math.sin(x)));
        expect(Math.abs(fastCos(x) - Math.cos(x))).toBeLessThanOrEqual(REL * Math.abs(Math.cos(x)));
      } else {
        expect(Object.is(fastSin(x), Math.sin(x)), `sin(${x})`).toBe(true);
        expect(Object.is(fastCos(x), Math.cos(x)), `cos(${x})`).toBe(true);
      }
    }
    expect(Object.is(fastSin(-0), -0)).toBe(true);
  });
});

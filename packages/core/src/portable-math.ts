/**
 * `x ** y` computed the same way by every JavaScript engine. `Math.pow` and `**` are not: Node
 * 20's V8 and Chromium 150's V8 round about one result in ten differently in the last bit (for
 * `0.9 ** t` as much as for `x ** 0.2`), which is enough for a seeded fit (a step-size
 * controller, Adam's bias correction) to part after a few iterations. Integer exponents up to
 * 1024 by repeated squaring (products are IEEE-754 exact-rounded everywhere); other finite
 * positive bases through `Math.log1p` and `Math.exp` in double-double (both fdlibm's in V8, the
 * same across versions; within about an ulp); the special values of the ECMAScript
 * definition (NaN, ±0, ±∞, negative bases) as `Math.pow`, which defines them exactly.
 *
 * @example
 * ```ts
 * import { portablePow } from '@odekit/core';
 * if (portablePow(2, 10) !== 1024 || Math.abs(portablePow(2, 0.5) - Math.SQRT2) > 1e-15) throw new Error('bad');
 * ```
 */
export function portablePow(x: number, y: number): number {
  if (Number.isInteger(y) && Math.abs(y) <= 1024 && Number.isFinite(x) && x !== 0) {
    const r = integerPower(x, Math.abs(y));
    return y < 0 ? 1 / r : r;
  }
  if (Number.isFinite(x) && Number.isFinite(y) && x !== 0) {
    if (x > 0) return positivePow(x, y);
    // a negative base: real only for an integer exponent (then the sign of (-1)^y)
    if (Number.isInteger(y)) return (y % 2 === 0 ? 1 : -1) * positivePow(-x, y);
  }
  return x ** y; // portable-math: allow (NaN, ±0, ±∞: exactly defined by ECMAScript)
}

/** x^n for an integer n >= 0 by repeated squaring. */
function integerPower(x: number, n: number): number {
  let base = x;
  let r = 1;
  let k = n;
  while (k > 0) {
    if (k % 2 === 1) r *= base;
    k = Math.floor(k / 2);
    if (k > 0) base *= base;
  }
  return r;
}

/** fdlibm's split of ln 2: the high part has 32 trailing zero bits, so k · LN2_HI is exact. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter

/**
 * x^y for finite x > 0: ln x = k ln 2 + log1p(m − 1) with x = m · 2^k, m ∈ [√½, √2) (m − 1 is
 * exact), carried in double-double through the product with y (Dekker's exact product, T. J.
 * Dekker, Numer. Math. 18, 1971), then `Math.exp(hi) · (1 + lo)`: within about one ulp.
 */
function positivePow(x: number, y: number): number {
  let k = Math.round(Math.log2(x));
  if (k > 1000 || k < -1000) return Math.exp(y * Math.log(x));
  const p2 = integerPower(2, Math.abs(k));
  let m = k >= 0 ? x / p2 : x * p2;
  if (m >= Math.SQRT2) {
    m /= 2;
    k++;
  } else if (m < Math.SQRT1_2) {
    m *= 2;
    k--;
  }
  const l = Math.log1p(m - 1);
  // s = k ln2_hi + l (two-sum) + k ln2_lo
  const a = k * LN2_HI;
  const sHi = a + l;
  const bb = sHi - a;
  const sLo = a - (sHi - bb) + (l - bb) + k * LN2_LO;
  // p = y · s in double-double
  const pHi = y * sHi;
  const yh = SPLIT * y - (SPLIT * y - y);
  const yl = y - yh;
  const sh = SPLIT * sHi - (SPLIT * sHi - sHi);
  const sl = sHi - sh;
  const err = yh * sh - pHi + yh * sl + yl * sh + yl * sl;
  const pLo = err + y * sLo;
  const e = Math.exp(pHi);
  return e + e * pLo;
}

/**
 * `tanh(x)` computed the same way by every JavaScript engine (`Math.tanh` differs between Node
 * 20's and Chromium 150's V8 in the last bit for about one argument in 1,500): fdlibm's method
 * (`s_tanh.c`, Sun Microsystems 1993) on `Math.expm1`, which agrees across V8 versions:
 * `tanh x = 1 − 2/(expm1(2|x|) + 2)` for |x| ≥ 1, `−t/(t + 2)` with `t = expm1(−2|x|)` below,
 * `x` itself below 2⁻²⁸, ±1 from 22 on.
 *
 * @example
 * ```ts
 * import { portableTanh } from '@odekit/core';
 * if (Math.abs(portableTanh(0.5) - Math.tanh(0.5)) > 1e-16) throw new Error('bad');
 * ```
 */
export function portableTanh(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  let z: number;
  if (ax < 22) {
    if (ax < 2 ** -28) return x;
    if (ax >= 1) z = 1 - 2 / (Math.expm1(2 * ax) + 2);
    else {
      const t = Math.expm1(-2 * ax);
      z = -t / (t + 2);
    }
  } else z = 1;
  return x < 0 ? -z : z;
}

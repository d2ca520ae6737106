// Float64 exp, sin and cos in plain JS for the column kernels: V8 runs Math.exp/sin/cos as calls
// into C++ (fdlibm), which dominate the evaluation of transcendental trees; these small functions
// inline into the kernels' loops (Node 20 here, per element: exp about 2×, sin and cos about 1.3×
// faster). Inputs outside the fast ranges (NaN, ±∞, huge, tiny) go to Math.*. A table-driven log
// (Tang 1990, exponent from a high-word view) was as accurate but slower than Math.log here (a
// division and a word load per element), so the kernels keep Math.log.

// ---- exp: Tang's table method (P. T. P. Tang, "Table-driven implementation of the exponential
// function in IEEE floating-point arithmetic", ACM TOMS 15(2), 1989, doi:10.1145/63522.214389):
// x = (128·k + j)·ln2/128 + r, |r| ≤ ln2/256, e^x = 2^k · 2^(j/128) · e^r, 2^(j/128) as a
// double-double (hi + lo) computed at load, e^r − 1 by its Taylor polynomial to r^5 (truncation
// below 6e-19).
//
// The hot functions keep their constants as literals and locals (V8 folds those; a module-level
// constant costs a context load and a hole check per use). fdlibm's decimal constants are written
// as the shortest literals of the same doubles.
const EXP_N = 128;

/** Dekker's exact product a·b = p + e (T. J. Dekker, Numer. Math. 18, 1971, doi:10.1007/BF01397083). */
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = 134217729 * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = 134217729 * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** Double-double product (hi, lo) of (ah, al)·(bh, bl), to about 2^-104 relative. */
function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e] = twoProd(ah, bh);
  const t = e + (ah * bl + al * bh);
  const s = p + t;
  return [s, t - (s - p)];
}

/** Double-double square root of (ah, al) by one Newton correction of Math.sqrt. */
function ddSqrt(ah: number, al: number): [number, number] {
  const s = Math.sqrt(ah);
  const [p, e] = twoProd(s, s);
  const c = (ah - p - e + al) / (2 * s);
  const h = s + c;
  return [h, c - (h - s)];
}

/** 2^(j/128) for j = 0..127 as hi (the nearest double) and lo (the rest), built at load. */
function expTable(): { hi: Float64Array; lo: Float64Array } {
  let b: [number, number] = [2, 0];
  for (let i = 0; i < 7; i++) b = ddSqrt(b[0], b[1]); // 2^(1/128)
  const hi = new Float64Array(EXP_N);
  const lo = new Float64Array(EXP_N);
  let t: [number, number] = [1, 0];
  for (let j = 0; j < EXP_N; j++) {
    hi[j] = t[0];
    lo[j] = t[1];
    t = ddMul(t[0], t[1], b[0], b[1]);
  }
  // checked at load: the table is 2^(j/N) to within Math.pow's own error
  for (let j = 0; j < EXP_N; j++) {
    const want = 2 ** (j / EXP_N); // portable-math: allow (a load-time check with a tolerance, not a value)
    if (Math.abs((hi[j] as number) - want) > 4.5e-16 || Math.abs(lo[j] as number) > 2.3e-16) {
      throw new Error(`fast-math: exp table entry ${j} is wrong.`);
    }
  }
  return { hi, lo };
}

const EXP_TABLE = expTable();
/** The table's hi and lo parts (also copied into the WebAssembly kernels, wasm-kernels.ts). */
export const EXP_T_HI = EXP_TABLE.hi;
export const EXP_T_LO = EXP_TABLE.lo;
/** 2^k for k = −1022..1023 at index k + 1022. */
const EXP_2K = Float64Array.from({ length: 2046 }, (_, i) => 2 ** (i - 1022)); // portable-math: allow (exact powers of two)

/**
 * e^x to about 0.5 ulp (Tang's method, see above; within 1 ulp of `Math.exp` in the tests);
 * `Math.exp(x)` for |x| > 708 (overflow, subnormal results), NaN and ±∞.
 */
export function fastExp(x: number): number {
  // |x| ≤ 708 keeps e^x normal (e^-708 ≈ 3.3e-308) and finite
  if (!(Math.abs(x) <= 708)) return Math.exp(x);
  const invLn2N = 184.6649652337873; // 128/ln2
  // ln2/128 split as fdlibm's e_exp.c ln2HI (32 significant bits: k·ln2HI exact for |k| < 2^21), ln2LO
  const ln2HiN = 0.6931471803691238 / 128;
  const ln2LoN = 1.9082149292705877e-10 / 128;
  const shift = 6755399441055744; // 1.5·2^52: (v + shift) − shift rounds v to an integer
  const kd = x * invLn2N + shift - shift;
  const ki = kd | 0;
  const r = x - kd * ln2HiN - kd * ln2LoN;
  const j = ki & 127;
  const th = EXP_T_HI[j] as number;
  const p = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))));
  return (EXP_2K[(ki >> 7) + 1022] as number) * (th + ((EXP_T_LO[j] as number) + th * p));
}

// ---- sin, cos: Cody–Waite reduction y = x − n·π/2 with fdlibm's three-part π/2 (pio2_1 and
// pio2_2 of 33 bits each, so n·pio2_1 and n·pio2_2 are exact for |n| < 2^20, and the tail pio2_2t;
// fdlibm e_rem_pio2.c, Sun Microsystems 1993), y kept as a double-double (y0, y1), and fdlibm's
// minimax kernels k_sin.c / k_cos.c on [−π/4, π/4] (the cosine's 1 − z/2 split through an exact
// qx ≈ z/2 rounded to 2^-40). A branch on the quadrant runs one kernel (faster here than running
// both and picking by table). n·pio2_1 and n·pio2_2 are exact for |x| ≤ 1e6 (|n| < 2^20).

/** k_sin.c: sin(y0 + y1) for |y0 + y1| ≤ π/4, z = y0², coefficients S1..S6. */
function sinKernel(y0: number, y1: number, z: number): number {
  const v = z * y0;
  const r =
    0.00833333333332249 +
    z *
      (-0.0001984126982985795 +
        z * (0.0000027557313707070068 + z * (-2.5050760253406863e-8 + z * 1.58969099521155e-10)));
  return y0 - (z * (0.5 * y1 - v * r) - y1 - v * -0.16666666666666632);
}

/** k_cos.c: cos(y0 + y1) for |y0 + y1| ≤ π/4, z = y0², coefficients C1..C6. */
function cosKernel(y0: number, y1: number, z: number): number {
  const r =
    z *
    (0.0416666666666666 +
      z *
        (-0.001388888888887411 +
          z *
            (0.00002480158728947673 +
              z * (-2.7557314351390663e-7 + z * (2.087572321298175e-9 + z * -1.1359647557788195e-11)))));
  const hz = 0.5 * z;
  const qx = hz + 6144 - 6144; // z/2 rounded to a multiple of 2^-40: 1 − qx and z/2 − qx are exact
  return 1 - qx - (hz - qx - (z * r - y0 * y1));
}

/**
 * sin x within about 1 ulp of `Math.sin` for |x| ≤ 1e6 (Cody–Waite reduction and fdlibm's kernels,
 * see above); `Math.sin(x)` otherwise and within 2^-16 of a multiple of π/2.
 */
export function fastSin(x: number): number {
  if (!(Math.abs(x) <= 1e6)) return Math.sin(x); // NaN, ±∞, large
  const n = x * 0.6366197723675814 + 6755399441055744 - 6755399441055744; // round(x·2/π)
  const a = x - n * 1.5707963267341256; // pio2_1: exact
  const b = n * 6.077100506303966e-11; // pio2_2: exact
  const y0 = a - b;
  const bv = a - y0;
  const e = a - (y0 + bv) + (bv - b); // Knuth's two-sum: y0 + e = a − b exactly
  const y1 = e - n * 2.0222662487959506e-21; // pio2_2t
  // tiny reduced arguments (tiny x, x near a multiple of π/2): Math keeps full relative accuracy
  if (!(Math.abs(y0) >= 0.0000152587890625)) return Math.sin(x);
  const z = y0 * y0;
  const q = (n | 0) & 3;
  const r = (q & 1) === 0 ? sinKernel(y0, y1, z) : cosKernel(y0, y1, z);
  return (q & 2) === 0 ? r : -r;
}

/**
 * cos x within about 1 ulp of `Math.cos` for |x| ≤ 1e6 (as `fastSin`, whose reduction it repeats
 * inline); `Math.cos(x)` otherwise and within 2^-16 of a multiple of π/2.
 */
export function fastCos(x: number): number {
  if (!(Math.abs(x) <= 1e6)) return Math.cos(x);
  const n = x * 0.6366197723675814 + 6755399441055744 - 6755399441055744; // round(x·2/π)
  const a = x - n * 1.5707963267341256; // pio2_1: exact
  const b = n * 6.077100506303966e-11; // pio2_2: exact
  const y0 = a - b;
  const bv = a - y0;
  const e = a - (y0 + bv) + (bv - b); // Knuth's two-sum: y0 + e = a − b exactly
  const y1 = e - n * 2.0222662487959506e-21; // pio2_2t
  // tiny reduced arguments (tiny x, x near a multiple of π/2): Math keeps full relative accuracy
  if (!(Math.abs(y0) >= 0.0000152587890625)) return Math.cos(x);
  const z = y0 * y0;
  const q = ((n | 0) + 1) & 3;
  const r = (q & 1) === 0 ? sinKernel(y0, y1, z) : cosKernel(y0, y1, z);
  return (q & 2) === 0 ? r : -r;
}

// AssemblyScript: the float64 transcendental column kernels of the symbolic regression evaluator
// (exp, log, sin, cos and a^b over columns), two rows per 128-bit SIMD vector. The JavaScript side
// (src/wasm-kernels.ts) copies a chunk of at most CHUNK rows into the scratch columns A (and B),
// calls a kernel, and copies O back out.
//
// The algorithms are those of src/fast-math.ts, so exp, sin and cos give the JavaScript kernels'
// values bit for bit (same operations in the same order; no fused multiply-add in WebAssembly):
// exp by Tang's table method (ACM TOMS 15(2), 1989, doi:10.1145/63522.214389), sin and cos by
// Cody–Waite reduction with fdlibm's three-part π/2 and its k_sin.c / k_cos.c kernels. log is
// fdlibm's e_log.c as simplified in musl's log.c (before 2018): x = 2^k·(1 + f) with
// √2/2 < 1 + f < √2, s = f/(2 + f), log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with the minimax
// R = Lg1·z + … + Lg7·z⁷, error below 1 ulp (Sun Microsystems 1993; musl libc, MIT). A pair with a
// lane outside the fast range (NaN, ±∞, zero, negative or subnormal log arguments, |x| > 708 for
// exp, |x| > 1e6 or tiny reduced arguments for sin and cos, non-positive bases of ^) runs lane by
// lane, those lanes through AssemblyScript's Math (musl's functions, within 1 ulp).

const CHUNK: i32 = 4096;
/** Scratch columns A, B, C and O (CHUNK doubles each), then the exp table (hi, lo: 128 doubles each). */
const SCRATCH: usize = memory.data(4 * CHUNK * 8 + 256 * 8, 16);
const COL_B: usize = SCRATCH + <usize>CHUNK * 8;
const COL_C: usize = SCRATCH + <usize>(2 * CHUNK) * 8;
const COL_O: usize = SCRATCH + <usize>(3 * CHUNK) * 8;
const EXP_HI: usize = SCRATCH + <usize>(4 * CHUNK) * 8;
const EXP_LO: usize = EXP_HI + 128 * 8;

/** Byte offset of the scratch columns A, B, C, O (CHUNK doubles each) and the exp table. */
export function scratch(): usize {
  return SCRATCH;
}

/** Rows per call (the length of each scratch column). */
export function chunk(): i32 {
  return CHUNK;
}

// ---- exp (fast-math.ts fastExp: x = (128·k + j)·ln2/128 + r)

const SHIFT: f64 = 6755399441055744; // 1.5·2^52
const SHIFT_BITS: i64 = 0x4338000000000000;

// @ts-ignore: decorator
@inline
function expFast(x: f64): f64 {
  const t = x * 184.6649652337873 + SHIFT;
  const kd = t - SHIFT;
  const ki = reinterpret<i64>(t) - SHIFT_BITS;
  const r = x - kd * (0.6931471803691238 / 128) - kd * (1.9082149292705877e-10 / 128);
  const j = <usize>(ki & 127);
  const th = load<f64>(EXP_HI + j * 8);
  const p = r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120))));
  const s = reinterpret<f64>(((ki >> 7) + 1023) << 52);
  return s * (th + (load<f64>(EXP_LO + j * 8) + th * p));
}

function expScalar(x: f64): f64 {
  return Math.abs(x) <= 708 ? expFast(x) : Math.exp(x);
}

// @ts-ignore: decorator
@inline
function exp2(x: v128): v128 {
  const t = f64x2.add(f64x2.mul(x, f64x2.splat(184.6649652337873)), f64x2.splat(SHIFT));
  const kd = f64x2.sub(t, f64x2.splat(SHIFT));
  const ki = i64x2.sub(t, i64x2.splat(SHIFT_BITS));
  const r = f64x2.sub(
    f64x2.sub(x, f64x2.mul(kd, f64x2.splat(0.6931471803691238 / 128))),
    f64x2.mul(kd, f64x2.splat(1.9082149292705877e-10 / 128)),
  );
  const j0 = <usize>(i64x2.extract_lane(ki, 0) & 127) * 8;
  const j1 = <usize>(i64x2.extract_lane(ki, 1) & 127) * 8;
  const th = f64x2.replace_lane(f64x2.splat(load<f64>(EXP_HI + j0)), 1, load<f64>(EXP_HI + j1));
  const tl = f64x2.replace_lane(f64x2.splat(load<f64>(EXP_LO + j0)), 1, load<f64>(EXP_LO + j1));
  let q = f64x2.add(f64x2.splat(1.0 / 24), f64x2.mul(r, f64x2.splat(1.0 / 120)));
  q = f64x2.add(f64x2.splat(1.0 / 6), f64x2.mul(r, q));
  q = f64x2.add(f64x2.splat(0.5), f64x2.mul(r, q));
  const p = f64x2.add(r, f64x2.mul(f64x2.mul(r, r), q));
  const s = i64x2.shl(i64x2.add(i64x2.shr_s(ki, 7), i64x2.splat(1023)), 52);
  return f64x2.mul(s, f64x2.add(th, f64x2.add(tl, f64x2.mul(th, p))));
}

/** exp of a pair: the vector path when both |x| ≤ 708, else lane by lane. */
// @ts-ignore: decorator
@inline
function expPair(x: v128): v128 {
  if (i64x2.all_true(f64x2.le(f64x2.abs(x), f64x2.splat(708)))) return exp2(x);
  return f64x2.replace_lane(
    f64x2.splat(expScalar(f64x2.extract_lane(x, 0))),
    1,
    expScalar(f64x2.extract_lane(x, 1)),
  );
}

// ---- log (fdlibm e_log.c as in musl's log.c)

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;
/** The high word offset that moves the reduction's cut from 1 to √2/2 (musl: 0x3ff00000 − 0x3fe6a09e). */
const LOG_OFF: i64 = (<i64>(0x3ff00000 - 0x3fe6a09e)) << 32;
const LOG_BASE: i64 = (<i64>0x3fe6a09e) << 32;
const MANT: i64 = 0x000fffffffffffff;
const MIN_NORMAL: f64 = 2.2250738585072014e-308;

// @ts-ignore: decorator
@inline
function log2v(x: v128): v128 {
  const hx = i64x2.add(x, i64x2.splat(LOG_OFF));
  const k = i64x2.sub(i64x2.shr_s(hx, 52), i64x2.splat(0x3ff));
  const m = i64x2.add(v128.and(hx, i64x2.splat(MANT)), i64x2.splat(LOG_BASE));
  // k as a double: (k + 1.5·2^52 as bits) − 1.5·2^52, exact for |k| < 2^51
  const dk = f64x2.sub(i64x2.add(k, i64x2.splat(SHIFT_BITS)), f64x2.splat(SHIFT));
  const f = f64x2.sub(m, f64x2.splat(1));
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(
    w,
    f64x2.add(f64x2.splat(LG2), f64x2.mul(w, f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6))))),
  );
  const t2 = f64x2.mul(
    z,
    f64x2.add(
      f64x2.splat(LG1),
      f64x2.mul(
        w,
        f64x2.add(f64x2.splat(LG3), f64x2.mul(w, f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7))))),
      ),
    ),
  );
  const R = f64x2.add(t2, t1);
  // s·(hfsq + R) + dk·ln2_lo − hfsq + f + dk·ln2_hi
  let y = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.mul(dk, f64x2.splat(LN2_LO)));
  y = f64x2.add(f64x2.sub(y, hfsq), f);
  return f64x2.add(y, f64x2.mul(dk, f64x2.splat(LN2_HI)));
}

/** Whether both lanes are normal, positive and finite (log's vector path). */
// @ts-ignore: decorator
@inline
function logFast(x: v128): bool {
  return i64x2.all_true(
    v128.and(f64x2.ge(x, f64x2.splat(MIN_NORMAL)), f64x2.lt(x, f64x2.splat(Infinity))),
  );
}

/** log of one value: the vector path's value where it applies (so a pair's lanes never depend on each other). */
function logScalar(x: f64): f64 {
  return x >= MIN_NORMAL && x < Infinity ? f64x2.extract_lane(log2v(f64x2.splat(x)), 0) : Math.log(x);
}

// @ts-ignore: decorator
@inline
function logPair(x: v128): v128 {
  if (logFast(x)) return log2v(x);
  return f64x2.replace_lane(f64x2.splat(logScalar(f64x2.extract_lane(x, 0))), 1, logScalar(f64x2.extract_lane(x, 1)));
}

// ---- sin, cos (fast-math.ts fastSin/fastCos)

function sinKernel(y0: f64, y1: f64, z: f64): f64 {
  const v = z * y0;
  const r =
    0.00833333333332249 +
    z * (-0.0001984126982985795 + z * (0.0000027557313707070068 + z * (-2.5050760253406863e-8 + z * 1.58969099521155e-10)));
  return y0 - (z * (0.5 * y1 - v * r) - y1 - v * -0.16666666666666632);
}

function cosKernel(y0: f64, y1: f64, z: f64): f64 {
  const r =
    z *
    (0.0416666666666666 +
      z *
        (-0.001388888888887411 +
          z * (0.00002480158728947673 + z * (-2.7557314351390663e-7 + z * (2.087572321298175e-9 + z * -1.1359647557788195e-11)))));
  const hz = 0.5 * z;
  const qx = hz + 6144 - 6144;
  return 1 - qx - (hz - qx - (z * r - y0 * y1));
}

/** sin (cos when `shift` is 1) of one value, as fast-math.ts. */
function sinCosScalar(x: f64, shift: i32): f64 {
  if (!(Math.abs(x) <= 1e6)) return shift === 0 ? Math.sin(x) : Math.cos(x);
  const n = x * 0.6366197723675814 + SHIFT - SHIFT;
  const a = x - n * 1.5707963267341256;
  const b = n * 6.077100506303966e-11;
  const y0 = a - b;
  const bv = a - y0;
  const e = a - (y0 + bv) + (bv - b);
  const y1 = e - n * 2.0222662487959506e-21;
  if (!(Math.abs(y0) >= 0.0000152587890625)) return shift === 0 ? Math.sin(x) : Math.cos(x);
  const z = y0 * y0;
  const q = (<i32>n + shift) & 3;
  const r = (q & 1) === 0 ? sinKernel(y0, y1, z) : cosKernel(y0, y1, z);
  return (q & 2) === 0 ? r : -r;
}

/** sin (shift 0) or cos (shift 1) of a pair: both kernels on both lanes, picked per lane. */
// @ts-ignore: decorator
@inline
function sinCosPair(x: v128, shift: i64): v128 {
  const t = f64x2.add(f64x2.mul(x, f64x2.splat(0.6366197723675814)), f64x2.splat(SHIFT));
  const n = f64x2.sub(t, f64x2.splat(SHIFT));
  const a = f64x2.sub(x, f64x2.mul(n, f64x2.splat(1.5707963267341256)));
  const b = f64x2.mul(n, f64x2.splat(6.077100506303966e-11));
  const y0 = f64x2.sub(a, b);
  const ok = v128.and(
    f64x2.le(f64x2.abs(x), f64x2.splat(1e6)),
    f64x2.ge(f64x2.abs(y0), f64x2.splat(0.0000152587890625)),
  );
  if (!i64x2.all_true(ok)) {
    const s = <i32>shift;
    return f64x2.replace_lane(
      f64x2.splat(sinCosScalar(f64x2.extract_lane(x, 0), s)),
      1,
      sinCosScalar(f64x2.extract_lane(x, 1), s),
    );
  }
  const bv = f64x2.sub(a, y0);
  const e = f64x2.add(f64x2.sub(a, f64x2.add(y0, bv)), f64x2.sub(bv, b));
  const y1 = f64x2.sub(e, f64x2.mul(n, f64x2.splat(2.0222662487959506e-21)));
  const z = f64x2.mul(y0, y0);
  // sin kernel
  const v = f64x2.mul(z, y0);
  let rs = f64x2.add(f64x2.splat(-2.5050760253406863e-8), f64x2.mul(z, f64x2.splat(1.58969099521155e-10)));
  rs = f64x2.add(f64x2.splat(0.0000027557313707070068), f64x2.mul(z, rs));
  rs = f64x2.add(f64x2.splat(-0.0001984126982985795), f64x2.mul(z, rs));
  rs = f64x2.add(f64x2.splat(0.00833333333332249), f64x2.mul(z, rs));
  const sk = f64x2.sub(
    y0,
    f64x2.sub(
      f64x2.sub(f64x2.mul(z, f64x2.sub(f64x2.mul(f64x2.splat(0.5), y1), f64x2.mul(v, rs))), y1),
      f64x2.mul(v, f64x2.splat(-0.16666666666666632)),
    ),
  );
  // cos kernel
  let rc = f64x2.add(f64x2.splat(2.087572321298175e-9), f64x2.mul(z, f64x2.splat(-1.1359647557788195e-11)));
  rc = f64x2.add(f64x2.splat(-2.7557314351390663e-7), f64x2.mul(z, rc));
  rc = f64x2.add(f64x2.splat(0.00002480158728947673), f64x2.mul(z, rc));
  rc = f64x2.add(f64x2.splat(-0.001388888888887411), f64x2.mul(z, rc));
  rc = f64x2.add(f64x2.splat(0.0416666666666666), f64x2.mul(z, rc));
  rc = f64x2.mul(z, rc);
  const hz = f64x2.mul(f64x2.splat(0.5), z);
  const qx = f64x2.sub(f64x2.add(hz, f64x2.splat(6144)), f64x2.splat(6144));
  const ck = f64x2.sub(
    f64x2.sub(f64x2.splat(1), qx),
    f64x2.sub(f64x2.sub(hz, qx), f64x2.sub(f64x2.mul(z, rc), f64x2.mul(y0, y1))),
  );
  // quadrant q = (n + shift) & 3 from t's low bits: odd q takes the cosine kernel, q ≥ 2 negates
  const q = i64x2.add(i64x2.sub(t, i64x2.splat(SHIFT_BITS)), i64x2.splat(shift));
  const useCos = i64x2.ne(v128.and(q, i64x2.splat(1)), i64x2.splat(0));
  const r = v128.bitselect(ck, sk, useCos);
  return v128.xor(r, i64x2.shl(i64x2.shr_u(v128.and(q, i64x2.splat(2)), 1), 63));
}

// ---- a^b: exp(b·log a) for finite a > 0 (fast-math.ts fastPow), Math.pow otherwise

// @ts-ignore: decorator
@inline
function powPair(a: v128, b: v128): v128 {
  if (logFast(a)) return expPair(f64x2.mul(b, log2v(a)));
  return f64x2.replace_lane(
    f64x2.splat(powScalar(f64x2.extract_lane(a, 0), f64x2.extract_lane(b, 0))),
    1,
    powScalar(f64x2.extract_lane(a, 1), f64x2.extract_lane(b, 1)),
  );
}

/** a^b of a pair given la = log a (as computed by `unary(OP_LOG)`): exp(b·la) where a is normal, positive and finite. */
// @ts-ignore: decorator
@inline
function powLoggedPair(a: v128, la: v128, b: v128): v128 {
  if (logFast(a)) return expPair(f64x2.mul(b, la));
  return f64x2.replace_lane(
    f64x2.splat(powScalar(f64x2.extract_lane(a, 0), f64x2.extract_lane(b, 0))),
    1,
    powScalar(f64x2.extract_lane(a, 1), f64x2.extract_lane(b, 1)),
  );
}

function powScalar(a: f64, b: f64): f64 {
  if (a >= MIN_NORMAL && a < Infinity) {
    return expScalar(b * f64x2.extract_lane(log2v(f64x2.splat(a)), 0));
  }
  return Math.pow(a, b);
}

// ---- the kernels: n rows of A (and B) into O; an odd last row runs as a pair with a copy

export const OP_EXP: i32 = 0;
export const OP_LOG: i32 = 1;
export const OP_SIN: i32 = 2;
export const OP_COS: i32 = 3;

/** O = op(A) over n ≤ CHUNK rows; op is OP_EXP, OP_LOG, OP_SIN or OP_COS. */
export function unary(op: i32, n: i32): void {
  const m = <usize>((n + 1) & ~1) * 8;
  if (n & 1) store<f64>(SCRATCH + <usize>n * 8, load<f64>(SCRATCH + <usize>(n - 1) * 8));
  if (op === OP_EXP) {
    for (let i: usize = 0; i < m; i += 16) v128.store(COL_O + i, expPair(v128.load(SCRATCH + i)));
  } else if (op === OP_LOG) {
    for (let i: usize = 0; i < m; i += 16) v128.store(COL_O + i, logPair(v128.load(SCRATCH + i)));
  } else if (op === OP_SIN) {
    for (let i: usize = 0; i < m; i += 16) v128.store(COL_O + i, sinCosPair(v128.load(SCRATCH + i), 0));
  } else {
    for (let i: usize = 0; i < m; i += 16) v128.store(COL_O + i, sinCosPair(v128.load(SCRATCH + i), 1));
  }
}

/** O = A^B over n ≤ CHUNK rows. */
export function powColCol(n: i32): void {
  const m = <usize>((n + 1) & ~1) * 8;
  if (n & 1) {
    store<f64>(SCRATCH + <usize>n * 8, load<f64>(SCRATCH + <usize>(n - 1) * 8));
    store<f64>(COL_B + <usize>n * 8, load<f64>(COL_B + <usize>(n - 1) * 8));
  }
  for (let i: usize = 0; i < m; i += 16) {
    v128.store(COL_O + i, powPair(v128.load(SCRATCH + i), v128.load(COL_B + i)));
  }
}

/** O = A^b over n ≤ CHUNK rows. */
export function powColScalar(b: f64, n: i32): void {
  const m = <usize>((n + 1) & ~1) * 8;
  if (n & 1) store<f64>(SCRATCH + <usize>n * 8, load<f64>(SCRATCH + <usize>(n - 1) * 8));
  const bv = f64x2.splat(b);
  for (let i: usize = 0; i < m; i += 16) v128.store(COL_O + i, powPair(v128.load(SCRATCH + i), bv));
}

/** O = exp(B·la) over n ≤ CHUNK rows: a^B for a constant base a > 0 with la = log a. */
export function expScaled(la: f64, n: i32): void {
  const m = <usize>((n + 1) & ~1) * 8;
  if (n & 1) store<f64>(COL_B + <usize>n * 8, load<f64>(COL_B + <usize>(n - 1) * 8));
  const lv = f64x2.splat(la);
  for (let i: usize = 0; i < m; i += 16) v128.store(COL_O + i, expPair(f64x2.mul(v128.load(COL_B + i), lv)));
}

/** O = A^B over n ≤ CHUNK rows, C holding log A (a data column's cached log): the values of `powColCol`. */
export function powLoggedColCol(n: i32): void {
  const m = <usize>((n + 1) & ~1) * 8;
  if (n & 1) {
    store<f64>(SCRATCH + <usize>n * 8, load<f64>(SCRATCH + <usize>(n - 1) * 8));
    store<f64>(COL_B + <usize>n * 8, load<f64>(COL_B + <usize>(n - 1) * 8));
    store<f64>(COL_C + <usize>n * 8, load<f64>(COL_C + <usize>(n - 1) * 8));
  }
  for (let i: usize = 0; i < m; i += 16) {
    v128.store(COL_O + i, powLoggedPair(v128.load(SCRATCH + i), v128.load(COL_C + i), v128.load(COL_B + i)));
  }
}

/** O = A^b over n ≤ CHUNK rows, C holding log A: the values of `powColScalar`. */
export function powLoggedColScalar(b: f64, n: i32): void {
  const m = <usize>((n + 1) & ~1) * 8;
  if (n & 1) {
    store<f64>(SCRATCH + <usize>n * 8, load<f64>(SCRATCH + <usize>(n - 1) * 8));
    store<f64>(COL_C + <usize>n * 8, load<f64>(COL_C + <usize>(n - 1) * 8));
  }
  const bv = f64x2.splat(b);
  for (let i: usize = 0; i < m; i += 16) {
    v128.store(COL_O + i, powLoggedPair(v128.load(SCRATCH + i), v128.load(COL_C + i), bv));
  }
}

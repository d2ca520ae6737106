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

// ---- the program interpreter: a whole tree, compiled to a postfix program by src/program-evaluator.ts,
// over blocks of BLOCK rows, so the tree's intermediate columns (one slot of BLOCK doubles per
// stack level) stay in the L1 cache; the loss can be fused in (see `run`). Each operation is the
// same arithmetic as the column evaluator's kernel for it (kernels.ts and the kernels above), so
// the values are the same bit for bit.
//
// An instruction is 32 bytes: op, dst, a, b (i32 operand words), c (unused), check (i32: 1 when its
// output is checked for non-finite values), k (f64: the constant of the column-constant ops). An
// operand word is a byte address, plus 1 when it is a whole column indexed by row (a data column,
// a cached operator column, the output), so the block's row offset is added; a slot's address is
// used as is.

/** Rows per block of `run` (a multiple of 4). */
const BLOCK: i32 = 256;

/** Rows per block of `run`: each slot of a program holds this many doubles. */
export function block(): i32 {
  return BLOCK;
}

/** First free byte (16-aligned) after the module's static data: the program evaluator's region starts here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// Op codes (the same numbers in src/program-evaluator.ts's OPS).
const P_COPY: i32 = 0;
const P_NEG: i32 = 1;
const P_EXP: i32 = 2;
const P_LOG: i32 = 3;
const P_SQRT: i32 = 4;
const P_SIN: i32 = 5;
const P_COS: i32 = 6;
const P_SQUARE: i32 = 7;
const P_CUBE: i32 = 8;
const P_INV: i32 = 9;
const P_ABS: i32 = 10;
const P_ADD: i32 = 11;
const P_SUB: i32 = 12;
const P_MUL: i32 = 13;
const P_DIV: i32 = 14;
const P_POW: i32 = 15;
const P_POW_LOGGED: i32 = 16;
const P_ADD_K: i32 = 17;
const P_SUB_K: i32 = 18;
const P_K_SUB: i32 = 19;
const P_MUL_K: i32 = 20;
const P_DIV_K: i32 = 21;
const P_K_DIV: i32 = 22;
const P_POW_K: i32 = 23;
const P_POW_LOGGED_K: i32 = 24;
const P_EXP_SCALED: i32 = 25;
const P_POW_HALF: i32 = 26;
const P_POW_MINUS_HALF: i32 = 27;
const P_POW_MINUS_2: i32 = 28;
const P_POW_4: i32 = 29;

// @ts-ignore: decorator
@inline
function at(w: i32, off: usize): usize {
  return <usize>(w & ~1) + <usize>(w & 1) * off;
}

/** Whether the `bytes` bytes at p hold only finite values (v·0 is 0 for finite v, NaN for NaN and ±∞). */
function allFinite(p: usize, bytes: usize): bool {
  const z = f64x2.splat(0);
  let s = z;
  for (let i: usize = 0; i < bytes; i += 16) s = f64x2.add(s, f64x2.mul(v128.load(p + i), z));
  return i64x2.all_true(f64x2.eq(s, z));
}

/** One instruction over `bytes` bytes (an even number of rows) at the resolved addresses. */
function step(op: i32, d: usize, a: usize, b: usize, c: usize, k: f64, bytes: usize): void {
  const kv = f64x2.splat(k);
  switch (op) {
    case P_COPY:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, v128.load(a + i));
      break;
    case P_NEG:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.neg(v128.load(a + i)));
      break;
    case P_EXP:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, expPair(v128.load(a + i)));
      break;
    case P_LOG:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, logPair(v128.load(a + i)));
      break;
    case P_SQRT:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.sqrt(v128.load(a + i)));
      break;
    case P_SIN:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, sinCosPair(v128.load(a + i), 0));
      break;
    case P_COS:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, sinCosPair(v128.load(a + i), 1));
      break;
    case P_SQUARE:
      for (let i: usize = 0; i < bytes; i += 16) {
        const x = v128.load(a + i);
        v128.store(d + i, f64x2.mul(x, x));
      }
      break;
    case P_CUBE:
      for (let i: usize = 0; i < bytes; i += 16) {
        const x = v128.load(a + i);
        v128.store(d + i, f64x2.mul(f64x2.mul(x, x), x));
      }
      break;
    case P_INV:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.div(f64x2.splat(1), v128.load(a + i)));
      break;
    case P_ABS:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.abs(v128.load(a + i)));
      break;
    case P_ADD:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.add(v128.load(a + i), v128.load(b + i)));
      break;
    case P_SUB:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.sub(v128.load(a + i), v128.load(b + i)));
      break;
    case P_MUL:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.mul(v128.load(a + i), v128.load(b + i)));
      break;
    case P_DIV:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.div(v128.load(a + i), v128.load(b + i)));
      break;
    case P_POW:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, powPair(v128.load(a + i), v128.load(b + i)));
      break;
    case P_POW_LOGGED:
      for (let i: usize = 0; i < bytes; i += 16) {
        v128.store(d + i, powLoggedPair(v128.load(a + i), v128.load(c + i), v128.load(b + i)));
      }
      break;
    case P_ADD_K:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.add(v128.load(a + i), kv));
      break;
    case P_SUB_K:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.sub(v128.load(a + i), kv));
      break;
    case P_K_SUB:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.sub(kv, v128.load(a + i)));
      break;
    case P_MUL_K:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.mul(v128.load(a + i), kv));
      break;
    case P_DIV_K:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.div(v128.load(a + i), kv));
      break;
    case P_K_DIV:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, f64x2.div(kv, v128.load(a + i)));
      break;
    case P_POW_K:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, powPair(v128.load(a + i), kv));
      break;
    case P_POW_LOGGED_K:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, powLoggedPair(v128.load(a + i), v128.load(c + i), kv));
      break;
    case P_EXP_SCALED:
      for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, expPair(f64x2.mul(v128.load(a + i), kv)));
      break;
    case P_POW_HALF: {
      // sqrt(v + 0), +∞ at −∞ (kernels.ts: Math.pow's values at −0 and −∞)
      const ninf = f64x2.splat(-Infinity);
      for (let i: usize = 0; i < bytes; i += 16) {
        const x = v128.load(a + i);
        const r = f64x2.sqrt(f64x2.add(x, f64x2.splat(0)));
        v128.store(d + i, v128.bitselect(f64x2.splat(Infinity), r, f64x2.eq(x, ninf)));
      }
      break;
    }
    case P_POW_MINUS_HALF: {
      const ninf = f64x2.splat(-Infinity);
      for (let i: usize = 0; i < bytes; i += 16) {
        const x = v128.load(a + i);
        const r = f64x2.div(f64x2.splat(1), f64x2.sqrt(f64x2.add(x, f64x2.splat(0))));
        v128.store(d + i, v128.bitselect(f64x2.splat(0), r, f64x2.eq(x, ninf)));
      }
      break;
    }
    case P_POW_MINUS_2:
      for (let i: usize = 0; i < bytes; i += 16) {
        const x = v128.load(a + i);
        v128.store(d + i, f64x2.div(f64x2.splat(1), f64x2.mul(x, x)));
      }
      break;
    case P_POW_4:
      for (let i: usize = 0; i < bytes; i += 16) {
        const x = v128.load(a + i);
        const s = f64x2.mul(x, x);
        v128.store(d + i, f64x2.mul(s, s));
      }
      break;
    default:
      unreachable();
  }
}

/**
 * Runs the `count` instructions at `prog` over rows [0, n), block by block. Returns NaN as soon
 * as a checked output holds a non-finite value (the column evaluator's abort). With `y` = 0 the
 * program's last instruction writes the output column itself and 0 is returned; otherwise the
 * result is the slot at `res` and the return value is Σ(f − y)² over the n rows, summed as
 * objective.ts's mseOf does (four partial sums s0..s3 over rows i ≡ 0..3 mod 4, the rows after the
 * last multiple of 4 added to s0, then (s0 + s1) + (s2 + s3)). Columns hold a copy of their last
 * row after it (an odd last row runs as a pair).
 */
export function run(prog: usize, count: i32, n: i32, res: usize, y: usize): f64 {
  let acc01 = f64x2.splat(0);
  let acc23 = f64x2.splat(0);
  let s0: f64 = 0;
  const end = prog + <usize>count * 32;
  for (let r: i32 = 0; r < n; r += BLOCK) {
    const m = min(BLOCK, n - r);
    const bytes = <usize>((m + 1) & ~1) * 8;
    const off = <usize>r * 8;
    for (let p = prog; p < end; p += 32) {
      const d = at(load<i32>(p, 4), off);
      step(load<i32>(p), d, at(load<i32>(p, 8), off), at(load<i32>(p, 12), off), at(load<i32>(p, 16), off), load<f64>(p, 24), bytes);
      if (load<i32>(p, 20) !== 0 && !allFinite(d, bytes)) return NaN;
    }
    if (y !== 0) {
      const yb = y + off;
      const m4 = <usize>(m & ~3) * 8;
      for (let i: usize = 0; i < m4; i += 32) {
        const d01 = f64x2.sub(v128.load(res + i), v128.load(yb + i));
        const d23 = f64x2.sub(v128.load(res + i + 16), v128.load(yb + i + 16));
        acc01 = f64x2.add(acc01, f64x2.mul(d01, d01));
        acc23 = f64x2.add(acc23, f64x2.mul(d23, d23));
      }
      if (<usize>m * 8 !== m4) {
        // the last block's rows after the last multiple of 4 go to s0, after its vector part
        s0 = f64x2.extract_lane(acc01, 0);
        for (let i = m4; i < <usize>m * 8; i += 8) {
          const e = load<f64>(res + i) - load<f64>(yb + i);
          s0 += e * e;
        }
        acc01 = f64x2.replace_lane(acc01, 0, s0);
      }
    }
  }
  if (y === 0) return 0;
  return (
    f64x2.extract_lane(acc01, 0) +
    f64x2.extract_lane(acc01, 1) +
    (f64x2.extract_lane(acc23, 0) + f64x2.extract_lane(acc23, 1))
  );
}

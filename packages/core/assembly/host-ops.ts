// odekit's host ops (src/host-ops/ in SIMD), compiled by AssemblyScript to one small WebAssembly
// module with 128-bit SIMD (`pnpm --filter @odekit/core build:wasm` writes
// src/host-wasm/host-ops-wasm.ts). They serve compileField's programs (float32 values, float64 cotangents) and the solvers' stage
// combinations (float64 states from float32 stages).
//
// Every pointer is a byte offset into the module's memory, 16-byte aligned; the JavaScript side
// rounds every buffer up to 16 bytes, so the vector loops below may run into the padding.

import {
  BINARY_ADD as ADD,
  BINARY_DIV as DIV,
  BINARY_MAX as MAX,
  BINARY_MIN as MIN,
  BINARY_MUL as MUL,
  BINARY_SUB as SUB,
  UNARY_ABS as ABS,
  UNARY_NEG as NEG,
  UNARY_RECIPROCAL as RECIPROCAL,
  UNARY_RELU as RELU,
  UNARY_SQRT as SQRT,
  UNARY_SQUARE as SQUARE,
  UNARY_TANH as TANH,
} from '../src/host-wasm/op-codes';
import { tanh4 } from '@odekit/assembly/tanh';

// The op codes come from src/host-wasm/op-codes.ts, the one source the TypeScript side reads too.

/** y = a (op) b elementwise over n float32 values. */
export function binary(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  const end = (<usize>n) << 2;
  if (op == ADD) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  } else if (op == SUB) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
  } else if (op == MUL) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  } else if (op == DIV) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.div(v128.load(a + o), v128.load(b + o)));
  } else if (op == MAX) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.max(v128.load(a + o), v128.load(b + o)));
  } else if (op == MIN) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.min(v128.load(a + o), v128.load(b + o)));
  }
}

/** y = op(x) elementwise over n float32 values. */
export function unary(op: i32, x: usize, y: usize, n: i32): void {
  const end = (<usize>n) << 2;
  if (op == NEG) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.neg(v128.load(x + o)));
  } else if (op == RELU) {
    const zero = f32x4.splat(0);
    for (let o: usize = 0; o < end; o += 16) {
      const v = v128.load(x + o);
      // x < 0 ? 0 : x (keeps NaN)
      v128.store(y + o, v128.bitselect(zero, v, f32x4.lt(v, zero)));
    }
  } else if (op == SQUARE) {
    for (let o: usize = 0; o < end; o += 16) {
      const v = v128.load(x + o);
      v128.store(y + o, f32x4.mul(v, v));
    }
  } else if (op == SQRT) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.sqrt(v128.load(x + o)));
  } else if (op == ABS) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.abs(v128.load(x + o)));
  } else if (op == TANH) {
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, tanh4(v128.load(x + o)));
  } else if (op == RECIPROCAL) {
    const one = f32x4.splat(1);
    for (let o: usize = 0; o < end; o += 16) v128.store(y + o, f32x4.div(one, v128.load(x + o)));
  }
}

// Two float32 values at p, as float64 lanes.
// @ts-ignore: decorator
@inline
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** c += s·g over n float64 values (a cotangent passed on, scaled). */
export function axpy64(c: usize, g: usize, s: f64, n: i32): void {
  const end = (<usize>n) << 3;
  const sv = f64x2.splat(s);
  for (let o: usize = 0; o < end; o += 16) {
    v128.store(c + o, f64x2.add(v128.load(c + o), f64x2.mul(sv, v128.load(g + o))));
  }
}

/** c += g·b over n values: float64 c and g, float32 b (a product's cotangent). */
export function mulAcc(c: usize, g: usize, b: usize, n: i32): void {
  for (let i: usize = 0, e = <usize>n; i < e; i += 2) {
    const p = c + (i << 3);
    v128.store(p, f64x2.add(v128.load(p), f64x2.mul(v128.load(g + (i << 3)), load2(b + (i << 2)))));
  }
}

/** c += g·(1 − y²) over n values (tanh's cotangent from its float32 output y). */
export function tanhBack(c: usize, g: usize, y: usize, n: i32): void {
  const one = f64x2.splat(1);
  for (let i: usize = 0, e = <usize>n; i < e; i += 2) {
    const p = c + (i << 3);
    const v = load2(y + (i << 2));
    v128.store(p, f64x2.add(v128.load(p), f64x2.mul(v128.load(g + (i << 3)), f64x2.sub(one, f64x2.mul(v, v)))));
  }
}

/** y[i] = x[map[i]] (float32) for i < n. */
export function gather(map: usize, x: usize, y: usize, n: i32): void {
  for (let i: usize = 0, e = <usize>n; i < e; i++) {
    store<f32>(y + (i << 2), load<f32>(x + ((<usize>load<i32>(map + (i << 2))) << 2)));
  }
}

/** c[map[i]] += g[i] (float64) for i < n. */
export function scatterAdd(map: usize, g: usize, c: usize, n: i32): void {
  for (let i: usize = 0, e = <usize>n; i < e; i++) {
    const p = c + ((<usize>load<i32>(map + (i << 2))) << 3);
    store<f64>(p, load<f64>(p) + load<f64>(g + (i << 3)));
  }
}

/** dst[dOff + o·dStride + i] = src[sOff + o·sStride + i] (float32, offsets in elements). */
export function copyBlock(src: usize, sStride: i32, dst: usize, dStride: i32, w: i32, rows: i32): void {
  const sb = (<usize>sStride) << 2;
  const db = (<usize>dStride) << 2;
  if (w == 1) {
    for (let o = 0; o < rows; o++) store<f32>(dst + <usize>o * db, load<f32>(src + <usize>o * sb));
  } else if (w == 2) {
    for (let o = 0; o < rows; o++) store<u64>(dst + <usize>o * db, load<u64>(src + <usize>o * sb));
  } else {
    const bytes = (<usize>w) << 2;
    for (let o = 0; o < rows; o++) memory.copy(dst + <usize>o * db, src + <usize>o * sb, bytes);
  }
}

/** dst[dOff + o·dStride + i] += src[sOff + o·sStride + i] (float64 cotangents). */
export function addBlock(src: usize, sStride: i32, dst: usize, dStride: i32, w: i32, rows: i32): void {
  const sb = (<usize>sStride) << 3;
  const db = (<usize>dStride) << 3;
  for (let o = 0; o < rows; o++) {
    const s = src + <usize>o * sb;
    const d = dst + <usize>o * db;
    for (let i: usize = 0, e = <usize>w << 3; i < e; i += 8) store<f64>(d + i, load<f64>(d + i) + load<f64>(s + i));
  }
}

/** Sum (kind 0), mean (1) or product (2) of each run of g float32 values, in float64. */
export function reduceGroups(kind: i32, x: usize, y: usize, groups: i32, g: i32): void {
  for (let j = 0; j < groups; j++) {
    const b = x + ((<usize>j * <usize>g) << 2);
    let s: f64 = kind == 2 ? 1 : 0;
    if (kind == 2) for (let i = 0; i < g; i++) s *= <f64>load<f32>(b + ((<usize>i) << 2));
    else for (let i = 0; i < g; i++) s += <f64>load<f32>(b + ((<usize>i) << 2));
    if (kind == 1) s /= <f64>g;
    store<f32>(y + ((<usize>j) << 2), <f32>s);
  }
}

/**
 * y[m, n] = Σ_k A(m, k)·B(k, n) for M rows, with A(m, k) = a[m·sam + k·sak] and
 * B(k, n) = b[k·sbk + n·sbn] (strides in elements). For K ≤ 4 four columns go at a time, one
 * float32 lane each, B's block held in registers; otherwise sums run in float64, rounded once.
 */
export function matmul(a: usize, b: usize, y: usize, M: i32, K: i32, N: i32, sam: i32, sak: i32, sbk: i32, sbn: i32): void {
  if (K <= 4) {
    const am = (<usize>sam) << 2;
    const ak = (<usize>sak) << 2;
    const rowOut = (<usize>N) << 2;
    for (let j0 = 0; j0 < N; j0 += 4) {
      const w = min(4, N - j0);
      const b0 = bcol(b, 0, j0, w, K, sbk, sbn);
      const b1 = bcol(b, 1, j0, w, K, sbk, sbn);
      const b2 = bcol(b, 2, j0, w, K, sbk, sbn);
      const b3 = bcol(b, 3, j0, w, K, sbk, sbn);
      let ar = a;
      let out = y + ((<usize>j0) << 2);
      for (let m = 0; m < M; m++) {
        let s = f32x4.mul(f32x4.splat(load<f32>(ar)), b0);
        if (K > 1) s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ar + ak)), b1));
        if (K > 2) s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ar + 2 * ak)), b2));
        if (K > 3) s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ar + 3 * ak)), b3));
        if (w == 4) v128.store(out, s);
        else {
          store<f32>(out, f32x4.extract_lane(s, 0));
          if (w > 1) store<f32>(out, f32x4.extract_lane(s, 1), 4);
          if (w > 2) store<f32>(out, f32x4.extract_lane(s, 2), 8);
        }
        ar += am;
        out += rowOut;
      }
    }
    return;
  }
  let out = y;
  for (let m = 0; m < M; m++) {
    const am = a + ((<usize>m * <usize>sam) << 2);
    for (let n = 0; n < N; n++) {
      const bn = b + ((<usize>n * <usize>sbn) << 2);
      let s: f64 = 0;
      for (let k = 0; k < K; k++) {
        s += <f64>load<f32>(am + ((<usize>k * <usize>sak) << 2)) * <f64>load<f32>(bn + ((<usize>k * <usize>sbk) << 2));
      }
      store<f32>(out, <f32>s);
      out += 4;
    }
  }
}

/**
 * The matmul's cotangents: ca += ct·op(B)ᵀ and cb += op(A)ᵀ·ct (float64, laid out like a and b,
 * with the same strides; a zero pointer skips one), from ct [M, N] (float64).
 */
export function matmulBack(
  a: usize,
  b: usize,
  ct: usize,
  ca: usize,
  cb: usize,
  M: i32,
  K: i32,
  N: i32,
  sam: i32,
  sak: i32,
  sbk: i32,
  sbn: i32,
): void {
  let g = ct;
  for (let m = 0; m < M; m++) {
    const am = <usize>m * <usize>sam;
    for (let n = 0; n < N; n++) {
      const c = load<f64>(g);
      g += 8;
      if (c == 0) continue;
      const bn = <usize>n * <usize>sbn;
      for (let k = 0; k < K; k++) {
        const ai = am + <usize>k * <usize>sak;
        const bi = bn + <usize>k * <usize>sbk;
        if (ca != 0) store<f64>(ca + (ai << 3), load<f64>(ca + (ai << 3)) + c * <f64>load<f32>(b + (bi << 2)));
        if (cb != 0) store<f64>(cb + (bi << 3), load<f64>(cb + (bi << 3)) + c * <f64>load<f32>(a + (ai << 2)));
      }
    }
  }
}

// Row k of B's columns j0..j0+w−1 as four lanes (zero beyond K or w).
// @ts-ignore: decorator
@inline
function bcol(b: usize, k: i32, j0: i32, w: i32, K: i32, sbk: i32, sbn: i32): v128 {
  let v = f32x4.splat(0);
  if (k >= K) return v;
  const row = b + ((<usize>k * <usize>sbk) << 2);
  const col = (<usize>sbn) << 2;
  const p = row + <usize>j0 * col;
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (w > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + col));
  if (w > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * col));
  if (w > 3) v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * col));
  return v;
}

/**
 * The solvers' stage combination: out = w0·base + Σ_j c[j]·k_j over n float64 values, the terms
 * added left to right (so the result is bit-identical to the JavaScript loop); `base` 0 means
 * none. `cs` holds m float64 coefficients, `ks` m pointers to float32 arrays.
 */
export function combine(out: usize, n: i32, w0: f64, base: usize, cs: usize, ks: usize, m: i32): void {
  const end = <usize>n;
  if (base == 0) memory.fill(out, 0, end << 3);
  else if (w0 == 1) memory.copy(out, base, end << 3);
  else {
    const w = f64x2.splat(w0);
    for (let i: usize = 0; i < end; i += 2) v128.store(out + (i << 3), f64x2.mul(w, v128.load(base + (i << 3))));
  }
  let j = 0;
  // two terms per pass over out
  for (; j + 2 <= m; j += 2) {
    const c0 = f64x2.splat(load<f64>(cs + ((<usize>j) << 3)));
    const c1 = f64x2.splat(load<f64>(cs + ((<usize>j + 1) << 3)));
    const k0 = <usize>load<u32>(ks + ((<usize>j) << 2));
    const k1 = <usize>load<u32>(ks + ((<usize>j + 1) << 2));
    for (let i: usize = 0; i < end; i += 2) {
      const p = out + (i << 3);
      const q = i << 2;
      v128.store(p, f64x2.add(f64x2.add(v128.load(p), f64x2.mul(c0, load2(k0 + q))), f64x2.mul(c1, load2(k1 + q))));
    }
  }
  if (j < m) {
    const c0 = f64x2.splat(load<f64>(cs + ((<usize>j) << 3)));
    const k0 = <usize>load<u32>(ks + ((<usize>j) << 2));
    for (let i: usize = 0; i < end; i += 2) {
      const p = out + (i << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.mul(c0, load2(k0 + (i << 2)))));
    }
  }
}

// odekit's fused-MLP kernels, compiled by AssemblyScript to one small WebAssembly module with
// 128-bit SIMD (`pnpm --filter @odekit/nn build:wasm` writes src/fused-mlp-wasm.ts).
//
// Every pointer is a byte offset into the module's memory, 16-byte aligned; the JavaScript side
// (src/fused-mlp.ts) lays the buffers out and rounds every buffer up to a whole number of
// 4-float vectors, so the elementwise loops below run over whole vectors and may write the
// padding.

import { tanh4 } from '@odekit/assembly/tanh';

/** y[r, o] = Σ_i x[r, i]·w[o, i] (+ b[o] when b ≠ 0) for x [rows, nIn], w [nOut, nIn]. */
export function affine(x: usize, w: usize, b: usize, y: usize, rows: i32, nIn: i32, nOut: i32): void {
  const rowIn = (<usize>nIn) << 2;
  const rowOut = (<usize>nOut) << 2;
  let r = 0;
  // two rows and four outputs at a time: eight dot products over i, four lanes each
  for (; r + 2 <= rows; r += 2) {
    const xr = x + <usize>r * rowIn;
    const yr = y + <usize>r * rowOut;
    let o = 0;
    for (; o + 4 <= nOut; o += 4) affine2x4(xr, w + <usize>o * rowIn, b, o, yr + ((<usize>o) << 2), nIn, rowOut);
    for (; o < nOut; o++) {
      const wo = w + <usize>o * rowIn;
      const bo: f32 = b != 0 ? load<f32>(b + ((<usize>o) << 2)) : 0;
      store<f32>(yr + ((<usize>o) << 2), dot(xr, wo, nIn) + bo);
      store<f32>(yr + rowOut + ((<usize>o) << 2), dot(xr + rowIn, wo, nIn) + bo);
    }
  }
  for (; r < rows; r++) {
    const xr = x + <usize>r * rowIn;
    const yr = y + <usize>r * rowOut;
    for (let o = 0; o < nOut; o++) {
      const bo: f32 = b != 0 ? load<f32>(b + ((<usize>o) << 2)) : 0;
      store<f32>(yr + ((<usize>o) << 2), dot(xr, w + <usize>o * rowIn, nIn) + bo);
    }
  }
}

// Rows xr and xr + nIn against weight rows w0..w0+3, written to y0 and y0 + rowOut.
// @ts-ignore: decorator
@inline
function affine2x4(xr: usize, w0: usize, b: usize, o: i32, y0: usize, nIn: i32, rowOut: usize): void {
  const rowIn = (<usize>nIn) << 2;
  const n4 = nIn & ~3;
  const x1 = xr + rowIn;
  const w1 = w0 + rowIn;
  const w2 = w1 + rowIn;
  const w3 = w2 + rowIn;
  let a0 = f32x4(0, 0, 0, 0);
  let a1 = f32x4(0, 0, 0, 0);
  let a2 = f32x4(0, 0, 0, 0);
  let a3 = f32x4(0, 0, 0, 0);
  let c0 = f32x4(0, 0, 0, 0);
  let c1 = f32x4(0, 0, 0, 0);
  let c2 = f32x4(0, 0, 0, 0);
  let c3 = f32x4(0, 0, 0, 0);
  for (let i = 0; i < n4; i += 4) {
    const off = (<usize>i) << 2;
    const u = v128.load(xr + off);
    const v = v128.load(x1 + off);
    const q0 = v128.load(w0 + off);
    const q1 = v128.load(w1 + off);
    const q2 = v128.load(w2 + off);
    const q3 = v128.load(w3 + off);
    a0 = f32x4.add(a0, f32x4.mul(u, q0));
    a1 = f32x4.add(a1, f32x4.mul(u, q1));
    a2 = f32x4.add(a2, f32x4.mul(u, q2));
    a3 = f32x4.add(a3, f32x4.mul(u, q3));
    c0 = f32x4.add(c0, f32x4.mul(v, q0));
    c1 = f32x4.add(c1, f32x4.mul(v, q1));
    c2 = f32x4.add(c2, f32x4.mul(v, q2));
    c3 = f32x4.add(c3, f32x4.mul(v, q3));
  }
  // horizontal sums of four vectors at once: lanes (a0, a1, a2, a3) summed
  let s = hsum4(a0, a1, a2, a3);
  let t = hsum4(c0, c1, c2, c3);
  for (let i = n4; i < nIn; i++) {
    const off = (<usize>i) << 2;
    const wv = f32x4(load<f32>(w0 + off), load<f32>(w1 + off), load<f32>(w2 + off), load<f32>(w3 + off));
    s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(xr + off)), wv));
    t = f32x4.add(t, f32x4.mul(f32x4.splat(load<f32>(x1 + off)), wv));
  }
  if (b != 0) {
    const bv = v128.load(b + ((<usize>o) << 2));
    s = f32x4.add(s, bv);
    t = f32x4.add(t, bv);
  }
  v128.store(y0, s);
  v128.store(y0 + rowOut, t);
}

// [Σ a, Σ b, Σ c, Σ d] for four vectors, by two rounds of shuffles.
// @ts-ignore: decorator
@inline
function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 2, 6), v128.shuffle<f32>(a, b, 1, 5, 3, 7)); // a0+a1 b0+b1 a2+a3 b2+b3
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 2, 6), v128.shuffle<f32>(c, d, 1, 5, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// Σ_i p[i]·q[i] over n floats.
// @ts-ignore: decorator
@inline
function dot(p: usize, q: usize, n: i32): f32 {
  const n4 = n & ~3;
  let a = f32x4(0, 0, 0, 0);
  for (let i = 0; i < n4; i += 4) {
    const off = (<usize>i) << 2;
    a = f32x4.add(a, f32x4.mul(v128.load(p + off), v128.load(q + off)));
  }
  let s = hsum(a);
  for (let i = n4; i < n; i++) s += load<f32>(p + ((<usize>i) << 2)) * load<f32>(q + ((<usize>i) << 2));
  return s;
}

/**
 * The same map for a narrow input (small nIn), vectorised over outputs instead: y[r, o..o+3] =
 * b[o..o+3] + Σ_i x[r, i]·wt[i, o..o+3] with wt = wᵀ [nIn, nOut].
 */
export function affineNarrow(x: usize, wt: usize, b: usize, y: usize, rows: i32, nIn: i32, nOut: i32): void {
  const o4 = nOut & ~3;
  const rowOut = (<usize>nOut) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>nIn) << 2);
    const yr = y + <usize>r * rowOut;
    for (let o = 0; o < o4; o += 4) {
      const off = (<usize>o) << 2;
      let acc = b != 0 ? v128.load(b + off) : f32x4(0, 0, 0, 0);
      for (let i = 0; i < nIn; i++) {
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(xr + ((<usize>i) << 2))), v128.load(wt + <usize>i * rowOut + off)));
      }
      v128.store(yr + off, acc);
    }
    for (let o = o4; o < nOut; o++) {
      const off = (<usize>o) << 2;
      let s: f32 = b != 0 ? load<f32>(b + off) : 0;
      for (let i = 0; i < nIn; i++) s += load<f32>(xr + ((<usize>i) << 2)) * load<f32>(wt + <usize>i * rowOut + off);
      store<f32>(yr + off, s);
    }
  }
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** t [cols, rows] = sᵀ for s [rows, cols]: 4×4 blocks by shuffles, the edges one by one. */
export function transpose(s: usize, t: usize, rows: i32, cols: i32): void {
  const rowS = (<usize>cols) << 2;
  const rowT = (<usize>rows) << 2;
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  for (let r = 0; r < r4; r += 4) {
    const s0 = s + <usize>r * rowS;
    for (let c = 0; c < c4; c += 4) {
      const off = (<usize>c) << 2;
      const a = v128.load(s0 + off);
      const b = v128.load(s0 + rowS + off);
      const d = v128.load(s0 + 2 * rowS + off);
      const e = v128.load(s0 + 3 * rowS + off);
      // (a0 b0 a1 b1), (a2 b2 a3 b3), (d0 e0 d1 e1), (d2 e2 d3 e3)
      const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
      const ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const de01 = v128.shuffle<f32>(d, e, 0, 4, 1, 5);
      const de23 = v128.shuffle<f32>(d, e, 2, 6, 3, 7);
      const t0 = t + <usize>c * rowT + ((<usize>r) << 2);
      v128.store(t0, v128.shuffle<f32>(ab01, de01, 0, 1, 4, 5));
      v128.store(t0 + rowT, v128.shuffle<f32>(ab01, de01, 2, 3, 6, 7));
      v128.store(t0 + 2 * rowT, v128.shuffle<f32>(ab23, de23, 0, 1, 4, 5));
      v128.store(t0 + 3 * rowT, v128.shuffle<f32>(ab23, de23, 2, 3, 6, 7));
    }
  }
  // the edges: rows below r4 (all columns) and columns beyond c4 (rows above r4)
  for (let r = 0; r < rows; r++) {
    const sr = s + <usize>r * rowS;
    for (let c = r < r4 ? c4 : 0; c < cols; c++) {
      store<f32>(t + <usize>c * rowT + ((<usize>r) << 2), load<f32>(sr + ((<usize>c) << 2)));
    }
  }
}

/** s[o] = Σ_r g[r, o] for g [rows, n]. */
export function sumRows(g: usize, s: usize, rows: i32, n: i32): void {
  memory.fill(s, 0, (<usize>n) << 2);
  const n4 = n & ~3;
  for (let r = 0; r < rows; r++) {
    const gr = g + ((<usize>r * <usize>n) << 2);
    for (let o = 0; o < n4; o += 4) {
      const off = (<usize>o) << 2;
      v128.store(s + off, f32x4.add(v128.load(s + off), v128.load(gr + off)));
    }
    for (let o = n4; o < n; o++) {
      const off = (<usize>o) << 2;
      store<f32>(s + off, load<f32>(s + off) + load<f32>(gr + off));
    }
  }
}

/** acc[i] += src[i] for i < n: float64 accumulators `acc`, float32 values `src`. */
export function accumulate(acc: usize, src: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(src + ((<usize>i) << 2));
    const a = acc + ((<usize>i) << 3);
    v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
    v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))));
  }
  for (let i = n4; i < n; i++) {
    const a = acc + ((<usize>i) << 3);
    store<f64>(a, load<f64>(a) + <f64>load<f32>(src + ((<usize>i) << 2)));
  }
}

// exp(−a) for a ≥ 0, a clamped to 87 (so exp(−∞) gives 1.6e-38, not 0): 2^−k·e^s with
// k = round(a·log₂e) and s = k·ln2 − a ∈ [−ln2/2, ln2/2] (Cody–Waite: ln 2 split in a part
// with 16 significant bits, so k·LN2_HI is exact, and the rest), e^s by its Taylor polynomial
// of degree 7 (truncation below 6e-9 relative). k is read from the low mantissa bits of
// a·log₂e + 1.5·2²³, and 2^−k is built in the exponent field. NaN stays NaN.
const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693145752;
const LN2_LO: f32 = 1.42860677e-6;
const ROUND: f32 = 12582912; // 1.5·2²³
// @ts-ignore: decorator
@inline
function expNeg(a0: v128): v128 {
  const a = f32x4.pmin(a0, f32x4(87, 87, 87, 87));
  const big = f32x4.add(f32x4.mul(a, f32x4(LOG2E, LOG2E, LOG2E, LOG2E)), f32x4(ROUND, ROUND, ROUND, ROUND));
  const k = f32x4.sub(big, f32x4(ROUND, ROUND, ROUND, ROUND));
  const s = f32x4.add(
    f32x4.sub(f32x4.mul(k, f32x4(LN2_HI, LN2_HI, LN2_HI, LN2_HI)), a),
    f32x4.mul(k, f32x4(LN2_LO, LN2_LO, LN2_LO, LN2_LO)),
  );
  let p = f32x4.add(f32x4(C6, C6, C6, C6), f32x4.mul(s, f32x4(C7, C7, C7, C7)));
  p = f32x4.add(f32x4(C5, C5, C5, C5), f32x4.mul(s, p));
  p = f32x4.add(f32x4(C4, C4, C4, C4), f32x4.mul(s, p));
  p = f32x4.add(f32x4(C3, C3, C3, C3), f32x4.mul(s, p));
  p = f32x4.add(f32x4(0.5, 0.5, 0.5, 0.5), f32x4.mul(s, p));
  p = f32x4.add(f32x4(1, 1, 1, 1), f32x4.mul(s, p));
  p = f32x4.add(f32x4(1, 1, 1, 1), f32x4.mul(s, p));
  // exponent field 127 − k: bits(big) = 0x4B400000 + k, so (0x4B40007F − bits(big)) << 23
  const scale = i32x4.shl(i32x4.sub(i32x4(0x4b40007f, 0x4b40007f, 0x4b40007f, 0x4b40007f), big), 23);
  return f32x4.mul(p, scale);
}
const C3: f32 = 1.0 / 6.0;
const C4: f32 = 1.0 / 24.0;
const C5: f32 = 1.0 / 120.0;
const C6: f32 = 1.0 / 720.0;
const C7: f32 = 1.0 / 5040.0;

// log(1 + u) for u ∈ [0, 1] as 2·atanh(t), t = u/(2 + u) ∈ [0, 1/3], by the odd series
// 2t·Σ t^{2j}/(2j+1) to j = 7 (truncation below 1e-9 relative).
// @ts-ignore: decorator
@inline
function log1pUnit(u: v128): v128 {
  return atanh2(f32x4.div(u, f32x4.add(f32x4(2, 2, 2, 2), u)));
}

// 2·atanh(t) for t ∈ [0, 1/3] by the series above.
// @ts-ignore: decorator
@inline
function atanh2(t: v128): v128 {
  const t2 = f32x4.mul(t, t);
  let p = f32x4.add(f32x4(L13, L13, L13, L13), f32x4.mul(t2, f32x4(L15, L15, L15, L15)));
  p = f32x4.add(f32x4(L11, L11, L11, L11), f32x4.mul(t2, p));
  p = f32x4.add(f32x4(L9, L9, L9, L9), f32x4.mul(t2, p));
  p = f32x4.add(f32x4(L7, L7, L7, L7), f32x4.mul(t2, p));
  p = f32x4.add(f32x4(L5, L5, L5, L5), f32x4.mul(t2, p));
  p = f32x4.add(f32x4(L3, L3, L3, L3), f32x4.mul(t2, p));
  p = f32x4.add(f32x4(1, 1, 1, 1), f32x4.mul(t2, p));
  return f32x4.mul(f32x4.add(t, t), p);
}
const L3: f32 = 1.0 / 3.0;
const L5: f32 = 1.0 / 5.0;
const L7: f32 = 1.0 / 7.0;
const L9: f32 = 1.0 / 9.0;
const L11: f32 = 1.0 / 11.0;
const L13: f32 = 1.0 / 13.0;
const L15: f32 = 1.0 / 15.0;

// sigmoid(z) from e = exp(−|z|): 1/(1 + e) for z ≥ 0, e/(1 + e) for z < 0.
// @ts-ignore: decorator
@inline
function sigmoidFrom(z: v128, e: v128): v128 {
  const inv = f32x4.div(f32x4(1, 1, 1, 1), f32x4.add(f32x4(1, 1, 1, 1), e));
  return v128.bitselect(f32x4.mul(e, inv), inv, f32x4.lt(z, f32x4(0, 0, 0, 0)));
}

export const IDENTITY = 0;
export const RELU = 1;
export const TANH = 2;
export const SIGMOID = 3;
export const SOFTPLUS = 4;
/** softplus for a backward pass to follow: also overwrites z with softplus′(z) = sigmoid(z). */
export const SOFTPLUS_KEEP = 5;

/** a = act(z) over n values rounded up to whole vectors (a may equal z). */
export function activate(kind: i32, z: usize, a: usize, n: i32): void {
  const end = (<usize>((n + 3) & ~3)) << 2;
  if (kind == IDENTITY) {
    if (a != z) memory.copy(a, z, end);
  } else if (kind == RELU) {
    for (let off: usize = 0; off < end; off += 16) {
      v128.store(a + off, f32x4.max(v128.load(z + off), f32x4(0, 0, 0, 0)));
    }
  } else if (kind == TANH) {
    for (let off: usize = 0; off < end; off += 16) v128.store(a + off, tanh4(v128.load(z + off)));
  } else if (kind == SIGMOID) {
    for (let off: usize = 0; off < end; off += 16) {
      const v = v128.load(z + off);
      v128.store(a + off, sigmoidFrom(v, expNeg(f32x4.abs(v))));
    }
  } else if (kind == SOFTPLUS) {
    // softplus(z) = max(z, 0) + log(1 + exp(−|z|))
    for (let off: usize = 0; off < end; off += 16) {
      const v = v128.load(z + off);
      v128.store(a + off, f32x4.add(f32x4.max(v, f32x4(0, 0, 0, 0)), log1pUnit(expNeg(f32x4.abs(v)))));
    }
  } else {
    // SOFTPLUS_KEEP: with e = exp(−|z|), one reciprocal r = 1/((2 + e)(1 + e)) gives both
    // e/(2 + e) for the log and 1/(1 + e) for the sigmoid
    for (let off: usize = 0; off < end; off += 16) {
      const v = v128.load(z + off);
      const e = expNeg(f32x4.abs(v));
      const e1 = f32x4.add(f32x4(1, 1, 1, 1), e);
      const e2 = f32x4.add(f32x4(2, 2, 2, 2), e);
      const r = f32x4.div(f32x4(1, 1, 1, 1), f32x4.mul(e1, e2));
      const inv = f32x4.mul(e2, r);
      v128.store(a + off, f32x4.add(f32x4.max(v, f32x4(0, 0, 0, 0)), atanh2(f32x4.mul(f32x4.mul(e, e1), r))));
      v128.store(z + off, v128.bitselect(f32x4.mul(e, inv), inv, f32x4.lt(v, f32x4(0, 0, 0, 0))));
    }
  }
}

/** g ← g ⊙ act′(z) over n values rounded up to whole vectors, a = act(z) from the forward pass. */
export function activateGrad(kind: i32, z: usize, a: usize, g: usize, n: i32): void {
  const end = (<usize>((n + 3) & ~3)) << 2;
  if (kind == RELU) {
    for (let off: usize = 0; off < end; off += 16) {
      const pos = f32x4.gt(v128.load(z + off), f32x4(0, 0, 0, 0));
      v128.store(g + off, v128.and(v128.load(g + off), pos));
    }
  } else if (kind == TANH) {
    for (let off: usize = 0; off < end; off += 16) {
      const av = v128.load(a + off);
      v128.store(g + off, f32x4.mul(v128.load(g + off), f32x4.sub(f32x4(1, 1, 1, 1), f32x4.mul(av, av))));
    }
  } else if (kind == SIGMOID) {
    for (let off: usize = 0; off < end; off += 16) {
      const av = v128.load(a + off);
      v128.store(g + off, f32x4.mul(v128.load(g + off), f32x4.mul(av, f32x4.sub(f32x4(1, 1, 1, 1), av))));
    }
  } else if (kind == SOFTPLUS) {
    // softplus′ = sigmoid
    for (let off: usize = 0; off < end; off += 16) {
      const v = v128.load(z + off);
      v128.store(g + off, f32x4.mul(v128.load(g + off), sigmoidFrom(v, expNeg(f32x4.abs(v)))));
    }
  } else if (kind == SOFTPLUS_KEEP) {
    // z holds sigmoid(z) already
    for (let off: usize = 0; off < end; off += 16) {
      v128.store(g + off, f32x4.mul(v128.load(g + off), v128.load(z + off)));
    }
  }
}

import { matMulBlock } from './cpu-kernels/matmul.js';
import { fastTanh } from './cpu-kernels/tanh.js';

/**
 * Host implementations of the tfjs kernels that {@link compileField} replays: float32 values in,
 * float32 values out (each op rounds like the tfjs op), float64 cotangents.
 *
 * Unary and binary kernels work on dense arrays of the output's size; broadcasting and every
 * layout change (slice, transpose, tile, gather) goes through precomputed index maps, so each
 * kernel here is one plain loop.
 */

/** `x → y` elementwise, and its derivative `ctx += ct · dy/dx` (given x and y). */
export interface UnaryOp {
  fwd(x: Float32Array, y: Float32Array, n: number, p: number, q: number): void;
  bwd(x: Float32Array, y: Float32Array, ct: Float64Array, ctx: Float64Array, n: number, p: number, q: number): void;
}

/** `(a, b) → y` elementwise on same-size arrays, and its derivatives (either ct may be skipped). */
export interface BinaryOp {
  fwd(a: Float32Array, b: Float32Array, y: Float32Array, n: number): void;
  bwd(
    a: Float32Array,
    b: Float32Array,
    y: Float32Array,
    ct: Float64Array,
    ca: Float64Array | undefined,
    cb: Float64Array | undefined,
    n: number,
  ): void;
}

// tfjs-backend-cpu's softplus: log(ε) + 2 with ε the float32 machine epsilon
const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2;

function softplus(x: number): number {
  if (x > -SOFTPLUS_THRESHOLD) return x;
  if (x < SOFTPLUS_THRESHOLD) return Math.exp(x);
  return Math.log(Math.exp(x) + 1);
}

/** The unary kernels, by tfjs kernel name; `p`, `q` carry attributes (alpha, clip bounds). */
export const UNARY: Readonly<Record<string, UnaryOp>> = {
  Neg: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = -(x[i] as number);
    },
    bwd: (_x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) - (ct[i] as number);
    },
  },
  Exp: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i] as number);
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) * (y[i] as number);
    },
  },
  Expm1: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.expm1(x[i] as number);
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) * ((y[i] as number) + 1);
    },
  },
  Log: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i] as number);
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) / (x[i] as number);
    },
  },
  Log1p: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.log1p(x[i] as number);
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) / (1 + (x[i] as number));
    },
  },
  Tanh: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = fastTanh(x[i] as number);
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) {
        const v = y[i] as number;
        c[i] = (c[i] as number) + (ct[i] as number) * (1 - v * v);
      }
    },
  },
  Sigmoid: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-(x[i] as number)));
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) {
        const v = y[i] as number;
        c[i] = (c[i] as number) + (ct[i] as number) * v * (1 - v);
      }
    },
  },
  Softplus: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = softplus(x[i] as number);
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) / (1 + Math.exp(-(x[i] as number)));
    },
  },
  Relu: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        y[i] = Math.max(v, 0);
      }
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) if ((x[i] as number) > 0) c[i] = (c[i] as number) + (ct[i] as number);
    },
  },
  Relu6: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        y[i] = Math.min(Math.max(v, 0), 6);
      }
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        if (v > 0 && v <= 6) c[i] = (c[i] as number) + (ct[i] as number);
      }
    },
  },
  Elu: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        y[i] = v >= 0 ? v : Math.exp(v) - 1;
      }
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) {
        const v = y[i] as number;
        c[i] = (c[i] as number) + (ct[i] as number) * (v > 0 ? 1 : v + 1);
      }
    },
  },
  LeakyRelu: {
    fwd: (x, y, n, alpha) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        y[i] = v < 0 ? alpha * v : v;
      }
    },
    bwd: (x, _y, ct, c, n, alpha) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) * ((x[i] as number) > 0 ? 1 : alpha);
    },
  },
  ClipByValue: {
    fwd: (x, y, n, lo, hi) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        y[i] = Math.min(Math.max(v, lo), hi);
      }
    },
    bwd: (x, _y, ct, c, n, lo, hi) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        if (v >= lo && v <= hi) c[i] = (c[i] as number) + (ct[i] as number);
      }
    },
  },
  Square: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        y[i] = v * v;
      }
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + 2 * (ct[i] as number) * (x[i] as number);
    },
  },
  Sqrt: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i] as number);
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) / (2 * (y[i] as number));
    },
  },
  Rsqrt: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = 1 / Math.sqrt(x[i] as number);
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) {
        const v = y[i] as number;
        c[i] = (c[i] as number) - 0.5 * (ct[i] as number) * v * v * v;
      }
    },
  },
  Reciprocal: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = 1 / (x[i] as number);
    },
    bwd: (_x, y, ct, c, n) => {
      for (let i = 0; i < n; i++) {
        const v = y[i] as number;
        c[i] = (c[i] as number) - (ct[i] as number) * v * v;
      }
    },
  },
  Sin: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.sin(x[i] as number);
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) * Math.cos(x[i] as number);
    },
  },
  Cos: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.cos(x[i] as number);
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) - (ct[i] as number) * Math.sin(x[i] as number);
    },
  },
  Abs: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i] as number);
    },
    bwd: (x, _y, ct, c, n) => {
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (ct[i] as number) * Math.sign(x[i] as number);
    },
  },
};

/** The binary kernels, by tfjs kernel name, with tfjs's gradient conventions (ties of max/min). */
export const BINARY: Readonly<Record<string, BinaryOp>> = {
  Add: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = (a[i] as number) + (b[i] as number);
    },
    bwd: (_a, _b, _y, ct, ca, cb, n) => {
      if (ca) for (let i = 0; i < n; i++) ca[i] = (ca[i] as number) + (ct[i] as number);
      if (cb) for (let i = 0; i < n; i++) cb[i] = (cb[i] as number) + (ct[i] as number);
    },
  },
  Sub: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = (a[i] as number) - (b[i] as number);
    },
    bwd: (_a, _b, _y, ct, ca, cb, n) => {
      if (ca) for (let i = 0; i < n; i++) ca[i] = (ca[i] as number) + (ct[i] as number);
      if (cb) for (let i = 0; i < n; i++) cb[i] = (cb[i] as number) - (ct[i] as number);
    },
  },
  Multiply: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = (a[i] as number) * (b[i] as number);
    },
    bwd: (a, b, _y, ct, ca, cb, n) => {
      if (ca) for (let i = 0; i < n; i++) ca[i] = (ca[i] as number) + (ct[i] as number) * (b[i] as number);
      if (cb) for (let i = 0; i < n; i++) cb[i] = (cb[i] as number) + (ct[i] as number) * (a[i] as number);
    },
  },
  RealDiv: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = (a[i] as number) / (b[i] as number);
    },
    bwd: (a, b, _y, ct, ca, cb, n) => {
      if (ca) for (let i = 0; i < n; i++) ca[i] = (ca[i] as number) + (ct[i] as number) / (b[i] as number);
      if (cb) {
        for (let i = 0; i < n; i++) {
          const v = b[i] as number;
          cb[i] = (cb[i] as number) - ((ct[i] as number) * (a[i] as number)) / (v * v);
        }
      }
    },
  },
  Maximum: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.max(a[i] as number, b[i] as number);
    },
    bwd: (a, b, _y, ct, ca, cb, n) => {
      for (let i = 0; i < n; i++) {
        if ((a[i] as number) >= (b[i] as number)) {
          if (ca) ca[i] = (ca[i] as number) + (ct[i] as number);
        } else if (cb) cb[i] = (cb[i] as number) + (ct[i] as number);
      }
    },
  },
  Minimum: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = Math.min(a[i] as number, b[i] as number);
    },
    bwd: (a, b, _y, ct, ca, cb, n) => {
      for (let i = 0; i < n; i++) {
        if ((a[i] as number) <= (b[i] as number)) {
          if (ca) ca[i] = (ca[i] as number) + (ct[i] as number);
        } else if (cb) cb[i] = (cb[i] as number) + (ct[i] as number);
      }
    },
  },
  SquaredDifference: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) {
        const d = (a[i] as number) - (b[i] as number);
        y[i] = d * d;
      }
    },
    bwd: (a, b, _y, ct, ca, cb, n) => {
      for (let i = 0; i < n; i++) {
        const g = 2 * (ct[i] as number) * ((a[i] as number) - (b[i] as number));
        if (ca) ca[i] = (ca[i] as number) + g;
        if (cb) cb[i] = (cb[i] as number) - g;
      }
    },
  },
  Pow: {
    fwd: (a, b, y, n) => {
      for (let i = 0; i < n; i++) y[i] = (a[i] as number) ** (b[i] as number);
    },
    bwd: (a, b, y, ct, ca, cb, n) => {
      for (let i = 0; i < n; i++) {
        const x = a[i] as number;
        const e = b[i] as number;
        if (ca) ca[i] = (ca[i] as number) + (ct[i] as number) * e * x ** (e - 1);
        if (cb && x > 0) cb[i] = (cb[i] as number) + (ct[i] as number) * (y[i] as number) * Math.log(x);
      }
    },
  },
};

/**
 * `out[b, m, n] = Σ_k A[b, m, k]·B[b, k, n]` with A and B given by strides (so transposes and a
 * batch of one that broadcasts cost nothing); sums in float64, stored as float32.
 */
export interface MatMulPlan {
  transposeA: boolean;
  transposeB: boolean;
  batch: number;
  M: number;
  K: number;
  N: number;
  /** A's strides: per batch (0 when broadcast), per row m, per k. */
  sab: number;
  sam: number;
  sak: number;
  /** B's strides: per batch, per k, per column n. */
  sbb: number;
  sbk: number;
  sbn: number;
}

export function matMulForward(
  p: MatMulPlan,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  acc: Float64Array,
): void {
  const { batch, M, K, N, sab, sbb } = p;
  for (let q = 0; q < batch; q++) {
    matMulBlock(a, q * sab, b, q * sbb, out, q * M * N, M, K, N, p.transposeA, p.transposeB, acc);
  }
}

/** Adds `ct·Bᵀ` into `ca` and `Aᵀ·ct` into `cb` (either may be skipped), with the plan's strides. */
export function matMulBackward(
  p: MatMulPlan,
  a: Float32Array,
  b: Float32Array,
  ct: Float64Array,
  ca: Float64Array | undefined,
  cb: Float64Array | undefined,
): void {
  const { batch, M, K, N, sab, sam, sak, sbb, sbk, sbn } = p;
  for (let q = 0; q < batch; q++) {
    const a0 = q * sab;
    const b0 = q * sbb;
    for (let m = 0; m < M; m++) {
      const am = a0 + m * sam;
      const c0 = (q * M + m) * N;
      for (let n = 0; n < N; n++) {
        const g = ct[c0 + n] as number;
        if (g === 0) continue;
        const bn = b0 + n * sbn;
        if (ca)
          for (let k = 0; k < K; k++) ca[am + k * sak] = (ca[am + k * sak] as number) + g * (b[bn + k * sbk] as number);
        if (cb)
          for (let k = 0; k < K; k++) cb[bn + k * sbk] = (cb[bn + k * sbk] as number) + g * (a[am + k * sak] as number);
      }
    }
  }
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = (s[i + 1] as number) * (shape[i + 1] as number);
  return s;
}

/** Number of elements of `shape`. */
export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * For each element of an output of shape `out`, the flat index it reads in an input of shape
 * `inp` broadcast against it (numpy rules, aligned on the right), or `undefined` when the shapes
 * are equal and no map is needed.
 */
export function broadcastMap(inp: readonly number[], out: readonly number[]): Int32Array | undefined {
  if (inp.length === out.length && inp.every((d, i) => d === out[i])) return undefined;
  const lead = out.length - inp.length;
  const inStrides = stridesOf(inp);
  return stridedMap(
    out,
    out.map((_, i) => {
      const j = i - lead;
      return j < 0 || inp[j] === 1 ? 0 : (inStrides[j] as number);
    }),
    0,
  );
}

/**
 * The index map `offset + Σ_d idx[d]·strides[d]` over every multi-index of `shape` in row-major
 * order: broadcasts, slices, transposes and reductions are all of this form.
 */
export function stridedMap(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const n = sizeOfShape(shape);
  const map = new Int32Array(n);
  const r = shape.length;
  if (r === 0) {
    if (n === 1) map[0] = offset;
    return map;
  }
  const inner = shape[r - 1] as number;
  const sInner = strides[r - 1] as number;
  const idx = new Array<number>(r).fill(0);
  let base = offset;
  for (let i = 0; i < n; i += inner) {
    for (let j = 0; j < inner; j++) map[i + j] = base + j * sInner;
    // next row: the odometer over the outer dimensions
    for (let d = r - 2; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      base += strides[d] as number;
      if ((idx[d] as number) < (shape[d] as number)) break;
      base -= (idx[d] as number) * (strides[d] as number);
      idx[d] = 0;
    }
  }
  return map;
}

/** `f(index)` for every multi-index of `shape` in row-major order, as an index map. */
export function mapByOdometer(shape: readonly number[], f: (idx: number[]) => number): Int32Array {
  const n = sizeOfShape(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    map[i] = f(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return map;
}

/** `out[i] = x[map[i]]`. */
export function gatherForward(map: Int32Array, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < map.length; i++) out[i] = x[map[i] as number] as number;
}

/** `ctx[map[i]] += ct[i]`. */
export function gatherBackward(map: Int32Array, ct: Float64Array, ctx: Float64Array): void {
  for (let i = 0; i < map.length; i++) {
    const j = map[i] as number;
    ctx[j] = (ctx[j] as number) + (ct[i] as number);
  }
}

/** `dst[dOff + o·dStride + i] = src[sOff + o·sStride + i]` for `o < rows`, `i < w`. */
export function copyBlock(
  src: Float32Array,
  sOff: number,
  sStride: number,
  dst: Float32Array,
  dOff: number,
  dStride: number,
  w: number,
  rows: number,
): void {
  if (w === 1) {
    for (let o = 0, s = sOff, d = dOff; o < rows; o++, s += sStride, d += dStride) dst[d] = src[s] as number;
  } else if (w === 2) {
    for (let o = 0, s = sOff, d = dOff; o < rows; o++, s += sStride, d += dStride) {
      dst[d] = src[s] as number;
      dst[d + 1] = src[s + 1] as number;
    }
  } else if (w >= 16) {
    for (let o = 0; o < rows; o++)
      dst.set(src.subarray(sOff + o * sStride, sOff + o * sStride + w), dOff + o * dStride);
  } else {
    for (let o = 0, s = sOff, d = dOff; o < rows; o++, s += sStride, d += dStride) {
      for (let i = 0; i < w; i++) dst[d + i] = src[s + i] as number;
    }
  }
}

/** `dst[dOff + o·dStride + i] += src[sOff + o·sStride + i]` for `o < rows`, `i < w`. */
export function addBlock(
  src: Float64Array,
  sOff: number,
  sStride: number,
  dst: Float64Array,
  dOff: number,
  dStride: number,
  w: number,
  rows: number,
): void {
  if (w === 1) {
    for (let o = 0, s = sOff, d = dOff; o < rows; o++, s += sStride, d += dStride) {
      dst[d] = (dst[d] as number) + (src[s] as number);
    }
  } else {
    for (let o = 0, s = sOff, d = dOff; o < rows; o++, s += sStride, d += dStride) {
      for (let i = 0; i < w; i++) dst[d + i] = (dst[d + i] as number) + (src[s + i] as number);
    }
  }
}

/** Sum, Mean or Prod of each run of `g` consecutive values of `x` into `out` (float64 inside). */
export function reduceGroups(kind: string, x: Float32Array, out: Float32Array, groups: number, g: number): void {
  if (kind === 'Prod') {
    for (let j = 0, b = 0; j < groups; j++, b += g) {
      let p = 1;
      for (let i = 0; i < g; i++) p *= x[b + i] as number;
      out[j] = p;
    }
    return;
  }
  const scale = kind === 'Mean' ? 1 / g : 1;
  for (let j = 0, b = 0; j < groups; j++, b += g) {
    let s = 0;
    for (let i = 0; i < g; i++) s += x[b + i] as number;
    out[j] = kind === 'Mean' ? s / g : s * scale;
  }
}

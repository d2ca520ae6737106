import { fastTanh } from '../cpu-kernels/tanh.js';
import { portableTanh } from '../portable-math.js';
import type { FloatArray } from './float-array.js';

/**
 * Host implementations of the tfjs kernels that {@link compileField} replays: float32 values in,
 * float32 values out (each op rounds like the tfjs op), float64 cotangents; with
 * `precision: 'float64'` the same loops run on float64 values ({@link UNARY_FLOAT64} replaces the
 * kernels whose float32 version is an approximation).
 *
 * Unary and binary host ops work on dense arrays of the output's size; broadcasting and every
 * layout change (slice, transpose, tile, gather) goes through precomputed index maps, so each
 * op here is one plain loop.
 */

/** `x → y` elementwise, and its derivative `ctx += ct · dy/dx` (given x and y). */
export interface UnaryOp {
  fwd(x: FloatArray, y: FloatArray, n: number, p: number, q: number): void;
  bwd(x: FloatArray, y: FloatArray, ct: Float64Array, ctx: Float64Array, n: number, p: number, q: number): void;
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

/**
 * The unary kernels whose float32 version is not the float64 function (tanh's float32
 * approximation, softplus's float32 cut-offs): the float64 program uses these instead.
 */
export const UNARY_FLOAT64: Readonly<Record<string, UnaryOp>> = {
  Tanh: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) y[i] = portableTanh(x[i] as number);
    },
    bwd: (UNARY.Tanh as UnaryOp).bwd,
  },
  Softplus: {
    fwd: (x, y, n) => {
      for (let i = 0; i < n; i++) {
        const v = x[i] as number;
        // log(1 + e^v) = max(v, 0) + log1p(e^-|v|), exact in float64 for every v
        y[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
    },
    bwd: (UNARY.Softplus as UnaryOp).bwd,
  },
};

import { portablePow } from '../portable-math.js';
import type { FloatArray } from './float-array.js';
/** `(a, b) → y` elementwise on same-size arrays, and its derivatives (either ct may be skipped). */
export interface BinaryOp {
  fwd(a: FloatArray, b: FloatArray, y: FloatArray, n: number): void;
  bwd(
    a: FloatArray,
    b: FloatArray,
    y: FloatArray,
    ct: Float64Array,
    ca: Float64Array | undefined,
    cb: Float64Array | undefined,
    n: number,
  ): void;
}

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
      for (let i = 0; i < n; i++) y[i] = portablePow(a[i] as number, b[i] as number);
    },
    bwd: (a, b, y, ct, ca, cb, n) => {
      for (let i = 0; i < n; i++) {
        const x = a[i] as number;
        const e = b[i] as number;
        if (ca) ca[i] = (ca[i] as number) + (ct[i] as number) * e * portablePow(x, e - 1);
        if (cb && x > 0) cb[i] = (cb[i] as number) + (ct[i] as number) * (y[i] as number) * Math.log(x);
      }
    },
  },
};

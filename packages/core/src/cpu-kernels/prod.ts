import type * as tf from '@tensorflow/tfjs-core';
import { float32Result, float32Values, sizeOf } from './cpu-data.js';

/**
 * Prod of float32 values over trailing axes (`tf.prod(x, -1, true)`), one product per row in
 * float64 rounded once, as tfjs computes it; other axes and dtypes go to `original`.
 */
export function fastProdKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    const xv = float32Values(args.backend, x);
    const attrs = (args.attrs ?? {}) as { axis?: number | number[]; keepDims?: boolean };
    if (x === undefined || xv === undefined) return original(args);
    const rank = x.shape.length;
    const given = attrs.axis ?? [...x.shape.keys()]; // no axis (null): all of them
    const axes = (Array.isArray(given) ? given : [given]).map((d) => (d < 0 ? d + rank : d));
    const sorted = [...axes].sort((p, q) => p - q);
    // exactly the last `m` axes, each once
    if (sorted.length === 0 || sorted.some((d, i) => d !== rank - sorted.length + i)) return original(args);
    const first = rank - sorted.length;
    const width = sizeOf(x.shape.slice(first));
    const rows = width === 0 ? sizeOf(x.shape.slice(0, first)) : xv.length / width;
    const out = new Float32Array(rows);
    if (width === 2) {
      // rows of two (a state [B, 2]): 1·x₀·x₁ = x₀·x₁ exactly, so this is tfjs's value
      for (let r = 0; r < rows; r++) out[r] = (xv[2 * r] as number) * (xv[2 * r + 1] as number);
    } else {
      for (let r = 0, q = 0; r < rows; r++) {
        let p = 1;
        for (let c = 0; c < width; c++) p *= xv[q++] as number;
        out[r] = p;
      }
    }
    const shape = attrs.keepDims === true ? x.shape.map((d, i) => (i < first ? d : 1)) : x.shape.slice(0, first);
    return float32Result(args.backend, shape, out);
  };
}

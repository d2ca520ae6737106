import type * as tf from '@tensorflow/tfjs-core';
import { float32Result, float32Values, sizeOf } from './cpu-data.js';

/**
 * Concat of float32 tensors of one rank along any axis, copied as rows of a 2-D view (rows =
 * the dimensions before `axis`). Empty inputs, mixed dtypes, a single non-empty input and
 * inconsistent shapes go to `original` (which also throws tfjs's own shape errors).
 */
export function fastConcatKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const first = inputs[0];
    const rawAxis = (args.attrs as { axis?: number | number[] } | undefined)?.axis;
    const axis0 = Array.isArray(rawAxis) ? rawAxis[0] : rawAxis;
    if (first === undefined || inputs.length < 2 || typeof axis0 !== 'number') return original(args);
    const rank = first.shape.length;
    const axis = axis0 < 0 ? axis0 + rank : axis0;
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank) return original(args);
    const values: Float32Array[] = [];
    const widths: number[] = [];
    let width = 0;
    for (const t of inputs) {
      const v = float32Values(args.backend, t);
      if (v === undefined || v.length === 0 || t.shape.length !== rank) return original(args);
      for (let d = 0; d < rank; d++) if (d !== axis && t.shape[d] !== first.shape[d]) return original(args);
      values.push(v);
      const w = sizeOf(t.shape.slice(axis));
      widths.push(w);
      width += w;
    }
    const rows = sizeOf(first.shape.slice(0, axis));
    const out = new Float32Array(rows * width);
    let col = 0;
    for (let q = 0; q < values.length; q++) {
      const v = values[q] as Float32Array;
      const w = widths[q] as number;
      if (rows === 1) out.set(v, col);
      else if (w >= 32) for (let r = 0; r < rows; r++) out.set(v.subarray(r * w, r * w + w), r * width + col);
      else if (w >= 8)
        for (let r = 0, src = 0; r < rows; r++) {
          const dst = r * width + col;
          for (let c = 0; c < w; c++) out[dst + c] = v[src++] as number;
        }
      // a few columns (a state [B, 2] next to [B, 1]s): one long strided loop per column
      else
        for (let c = 0; c < w; c++) {
          for (let r = 0, src = c, dst = col + c; r < rows; r++, src += w, dst += width) out[dst] = v[src] as number;
        }
      col += w;
    }
    const outShape = first.shape.slice();
    outShape[axis] = inputs.reduce((s, t) => s + (t.shape[axis] as number), 0);
    return float32Result(args.backend, outShape, out);
  };
}

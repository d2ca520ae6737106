import type * as tf from '@tensorflow/tfjs-core';
import { cpuInt32Values } from '../internal/tfjs-internals.js';
import { float32Result, float32Values, sizeOf } from './cpu-data.js';

const int32Values = cpuInt32Values;

/** Copies `n` floats from `src[from]` to `dst[to]` (a loop for short runs, `set` for long ones). */
function copyRun(dst: Float32Array, to: number, src: Float32Array, from: number, n: number): void {
  if (n >= 16) dst.set(src.subarray(from, from + n), to);
  else for (let i = 0; i < n; i++) dst[to + i] = src[from + i] as number;
}

/**
 * Advances the odometer `idx` over axes 0..top (the last fastest; `extent` positions each, source
 * stride `stride`) and returns the source offset that follows `from`, or −1 past the end.
 */
function nextOffset(
  idx: number[],
  extent: readonly number[],
  stride: readonly number[],
  from: number,
  top: number,
): number {
  let at = from;
  for (let d = top; d >= 0; d--) {
    idx[d] = (idx[d] as number) + 1;
    at += stride[d] as number;
    if ((idx[d] as number) < (extent[d] as number)) return at;
    at -= (extent[d] as number) * (stride[d] as number);
    idx[d] = 0;
  }
  return -1;
}

/**
 * GatherV2 of float32 values with int32 indices and `batchDims` 0, as block copies: for each
 * position before `axis` and each index, the whole trailing block is copied. Indices out of
 * range and other cases go to `original` (which throws tfjs's own errors).
 */
export function fastGatherKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x?: tf.TensorInfo; indices?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as { axis?: number; batchDims?: number };
    const xv = float32Values(args.backend, x);
    const iv = int32Values(args.backend, indices);
    if (x === undefined || indices === undefined || xv === undefined || iv === undefined) return original(args);
    const rank = x.shape.length;
    const axis = (attrs.axis ?? 0) < 0 ? (attrs.axis as number) + rank : (attrs.axis ?? 0);
    if ((attrs.batchDims ?? 0) !== 0 || !Number.isInteger(axis) || axis < 0 || axis >= rank) return original(args);
    const dim = x.shape[axis] as number;
    for (let j = 0; j < iv.length; j++) {
      const k = iv[j] as number;
      if (k < 0 || k >= dim) return original(args);
    }
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const out = new Float32Array(outer * iv.length * inner);
    for (let o = 0, to = 0; o < outer; o++) {
      const base = o * dim * inner;
      for (let j = 0; j < iv.length; j++, to += inner) copyRun(out, to, xv, base + (iv[j] as number) * inner, inner);
    }
    return float32Result(args.backend, [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], out);
  };
}

/**
 * Slice of float32 values (begin and size given per axis, size −1 meaning to the end) as copies
 * of contiguous runs; a slice that is one contiguous run, and anything unusual, goes to
 * `original` (tfjs returns a contiguous slice as a view).
 */
export function fastSliceKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    const attrs = (args.attrs ?? {}) as { begin?: unknown; size?: unknown };
    const xv = float32Values(args.backend, x);
    if (x === undefined || xv === undefined) return original(args);
    const rank = x.shape.length;
    const { begin, size } = attrs;
    if (!Array.isArray(begin) || !Array.isArray(size) || begin.length !== rank || size.length !== rank || rank === 0) {
      return original(args);
    }
    const b: number[] = [];
    const s: number[] = [];
    for (let d = 0; d < rank; d++) {
      const dim = x.shape[d] as number;
      const bd = begin[d] as number;
      const sd = size[d] === -1 ? dim - bd : (size[d] as number);
      if (!Number.isInteger(bd) || !Number.isInteger(sd) || bd < 0 || sd < 0 || bd + sd > dim) return original(args);
      b.push(bd);
      s.push(sd);
    }
    // the run: the trailing axes taken whole, and the last axis taken in part
    let k = rank - 1;
    while (k > 0 && s[k] === x.shape[k] && b[k] === 0) k--;
    const strides = new Array<number>(rank);
    strides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) strides[d] = (strides[d + 1] as number) * (x.shape[d + 1] as number);
    const run = (s[k] as number) * (strides[k] as number);
    const nOut = sizeOf(s);
    if (nOut === 0 || run === nOut) return original(args); // empty, or one contiguous run (a view in tfjs)
    const out = new Float32Array(nOut);
    // odometer over axes 0..k−1 of the slice
    const idx = new Array<number>(k).fill(0);
    let from = 0;
    for (let d = 0; d <= k; d++) from += (b[d] as number) * (strides[d] as number);
    for (let to = 0; to < nOut; to += run) {
      copyRun(out, to, xv, from, run);
      from = nextOffset(idx, s, strides, from, k - 1);
    }
    return float32Result(args.backend, s, out);
  };
}

/**
 * Transpose of float32 values: axes the permutation leaves in place at the end move as
 * contiguous blocks, the rest by an odometer over the output with running source offsets.
 */
export function fastTransposeKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x?: tf.TensorInfo }).x;
    const perm = (args.attrs as { perm?: unknown } | undefined)?.perm;
    const xv = float32Values(args.backend, x);
    if (x === undefined || xv === undefined || !Array.isArray(perm) || perm.length !== x.shape.length) {
      return original(args);
    }
    const rank = perm.length;
    const seen = new Array<boolean>(rank).fill(false);
    for (const p of perm as number[]) {
      if (!Number.isInteger(p) || p < 0 || p >= rank || seen[p]) return original(args);
      seen[p] = true;
    }
    const outShape = (perm as number[]).map((p) => x.shape[p] as number);
    if (xv.length === 0) return float32Result(args.backend, outShape, new Float32Array(0));
    // trailing axes in place: blocks of `block` floats
    let m = rank;
    while (m > 0 && perm[m - 1] === m - 1) m--;
    const block = sizeOf(x.shape.slice(m));
    if (m === 0) return float32Result(args.backend, outShape, xv.slice());
    const strides = new Array<number>(rank);
    strides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) strides[d] = (strides[d + 1] as number) * (x.shape[d + 1] as number);
    // source stride and extent of output axis d < m
    const srcStride = (perm as number[]).slice(0, m).map((p) => strides[p] as number);
    const extent = outShape.slice(0, m);
    const out = new Float32Array(xv.length);
    const idx = new Array<number>(m).fill(0);
    const last = m - 1;
    const lastStride = srcStride[last] as number;
    const lastExtent = extent[last] as number;
    let from = 0;
    for (let to = 0; to < out.length; ) {
      // the innermost permuted axis in one loop
      if (block === 1) {
        for (let i = 0, f = from; i < lastExtent; i++, f += lastStride) out[to++] = xv[f] as number;
      } else {
        for (let i = 0, f = from; i < lastExtent; i++, f += lastStride, to += block) copyRun(out, to, xv, f, block);
      }
      from = nextOffset(idx, extent, srcStride, from, last - 1);
      if (from < 0) break;
    }
    return float32Result(args.backend, outShape, out);
  };
}

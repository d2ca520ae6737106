import type { FloatArray } from './float-array.js';

/** `out[i] = x[map[i]]`. */
export function gatherForward(map: Int32Array, x: FloatArray, out: FloatArray): void {
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
  src: FloatArray,
  sOff: number,
  sStride: number,
  dst: FloatArray,
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
export function reduceGroups(kind: string, x: FloatArray, out: FloatArray, groups: number, g: number): void {
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

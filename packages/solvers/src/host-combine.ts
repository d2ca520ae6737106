import { type FloatArray, type StageCombiner, stageCombinerFor } from '@odekit/core/internal';

// The stage-combination cache: one combiner (core's WebAssembly layout with its rings of stage and
// state arrays, keyed by identity) for the last state size, renewed when the size changes; it
// lives as long as the process. `null`: that size is not worth it, or there is no module.
const cache: { n: number; combiner: StageCombiner | null } = { n: -1, combiner: null };

/**
 * `combineInto` in core's WebAssembly module, for large states; `false` (nothing done) where the
 * module is unavailable or the case is not covered.
 */
export function wasmCombine(
  out: Float64Array,
  n: number,
  w0: number,
  base: ArrayLike<number> | undefined,
  cs: readonly number[],
  ks: readonly Float32Array[],
): boolean {
  if (cache.n !== n) {
    cache.n = n;
    cache.combiner = stageCombinerFor(n);
  }
  const combiner = cache.combiner;
  if (combiner === null || !combiner.covers(cs.length, base)) return false;
  combiner.combine(out, w0, base, cs, ks);
  return true;
}

/**
 * The host loop's one arithmetic routine: `out[i] = w0·base[i] + Σ_j c_j·k_j[i]` in float64,
 * the terms added left to right in the order given (so forward steps, dense output and the
 * backward pass's recomputed stages all round alike). Zero coefficients are skipped by the
 * callers. Terms are taken four (then two, then one) per pass over `out`: large batches are
 * bound by memory traffic, and one pass per term read and wrote `out` once per stage.
 */
export function combineInto(
  out: Float64Array,
  n: number,
  w0: number,
  base: ArrayLike<number> | undefined,
  cs: readonly number[],
  ks: readonly FloatArray[],
): Float64Array {
  // large states: the same sums in odekit's WebAssembly kernels (float32 stages only: float64
  // ones, from a float64 field, keep their precision in the loops below)
  if (isFloat32(ks) && wasmCombine(out, n, w0, base, cs, ks)) return out;
  if (base === undefined) out.fill(0, 0, n);
  else if (w0 === 1) for (let i = 0; i < n; i++) out[i] = base[i] as number;
  else for (let i = 0; i < n; i++) out[i] = w0 * (base[i] as number);
  const m = cs.length;
  let j = 0;
  for (; j + 4 <= m; j += 4) {
    const c0 = cs[j] as number;
    const c1 = cs[j + 1] as number;
    const c2 = cs[j + 2] as number;
    const c3 = cs[j + 3] as number;
    const k0 = ks[j] as FloatArray;
    const k1 = ks[j + 1] as FloatArray;
    const k2 = ks[j + 2] as FloatArray;
    const k3 = ks[j + 3] as FloatArray;
    for (let i = 0; i < n; i++) {
      out[i] =
        (out[i] as number) +
        c0 * (k0[i] as number) +
        c1 * (k1[i] as number) +
        c2 * (k2[i] as number) +
        c3 * (k3[i] as number);
    }
  }
  for (; j + 2 <= m; j += 2) {
    const c0 = cs[j] as number;
    const c1 = cs[j + 1] as number;
    const k0 = ks[j] as FloatArray;
    const k1 = ks[j + 1] as FloatArray;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + c0 * (k0[i] as number) + c1 * (k1[i] as number);
  }
  if (j < m) {
    const c0 = cs[j] as number;
    const k0 = ks[j] as FloatArray;
    for (let i = 0; i < n; i++) out[i] = (out[i] as number) + c0 * (k0[i] as number);
  }
  return out;
}

/**
 * `base + Σ_j (h·coef[j])·k[j]` as a new float64 array (`base` undefined: the pure combination),
 * over the first `min(coef.length, k.length)` terms, zero coefficients skipped.
 */
export function stageCombination(
  n: number,
  base: ArrayLike<number> | undefined,
  coef: readonly number[],
  k: readonly FloatArray[],
  h: number,
): Float64Array {
  const cs: number[] = [];
  const ks: FloatArray[] = [];
  const m = Math.min(coef.length, k.length);
  for (let j = 0; j < m; j++) {
    const c = h * (coef[j] as number);
    if (c === 0) continue;
    cs.push(c);
    ks.push(k[j] as FloatArray);
  }
  return combineInto(new Float64Array(n), n, 1, base, cs, ks);
}

function isFloat32(ks: readonly FloatArray[]): ks is readonly Float32Array[] {
  for (const k of ks) if (!(k instanceof Float32Array)) return false;
  return true;
}

import type { HostFieldWithVjp } from './host-field-vjp.js';

/**
 * How an implicit solver gets the Jacobian `∂f/∂y` of each sample:
 * - `'fd'`: forward differences, one column per field evaluation (all samples at once);
 * - `'vjp'`: reverse-mode rows `e_iᵀ·J` from the field's host kernels (a `compileField` field or
 *   an MLP's `vectorField`), one VJP per row; falls back to `'fd'` when the field has none;
 * - `'auto'`: the method's default (`'fd'` for ESDIRK Newton matrices, `'vjp'` where available for
 *   Rosenbrock methods, which need an accurate Jacobian);
 * - a function `(t, y) → J` of one sample (`y` of length D, `J` row-major `D × D`), called per sample.
 *
 * Every evaluation (column, row or user call) counts in `numFnEvals`.
 */
export type JacobianOption = 'auto' | 'fd' | 'vjp' | ((t: number, y: Float64Array) => ArrayLike<number>);

/** Per-sample geometry of a packed state: `batch` samples of width `D`, sample-major. */
export interface Blocks {
  readonly batch: number;
  readonly D: number;
}

/** float32's unit roundoff: the field's values are rounded to float32. */
export const UROUND32 = 2 ** -24;

/**
 * Writes each sample's Jacobian at `(t, y)` into `out` (blocks of `D × D`, row-major) and returns
 * the field evaluations it took. `fy` is `f(t, y)` (for differences).
 */
export function evaluateJacobian(
  option: JacobianOption,
  preferVjp: boolean,
  f: HostFieldWithVjp,
  t: number,
  y: Float64Array,
  fy: ArrayLike<number>,
  { batch, D }: Blocks,
  out: Float64Array,
): number {
  if (typeof option === 'function') {
    for (let b = 0; b < batch; b++) {
      const jb = option(t, y.slice(b * D, (b + 1) * D));
      if (jb.length !== D * D) {
        throw new Error(
          `jacobian: the user Jacobian returned ${jb.length} values; return D × D = ${D * D} (row-major).`,
        );
      }
      for (let i = 0; i < D * D; i++) out[b * D * D + i] = jb[i] as number;
    }
    return batch;
  }
  const vjp = f.vjp;
  if (vjp !== undefined && (option === 'vjp' || (option === 'auto' && preferVjp))) {
    const ct = new Float64Array(y.length);
    for (let i = 0; i < D; i++) {
      ct.fill(0);
      for (let b = 0; b < batch; b++) ct[b * D + i] = 1;
      const row = vjp(t, y, ct);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < D; j++) out[b * D * D + i * D + j] = row[b * D + j] as number;
      }
    }
    return D;
  }
  // Forward differences on the float32 grid the field sees: the step is what float32 actually
  // moves, δ = √u·max(|y|, 1e-5) with u float32's roundoff (a relative step: RADAU5's
  // √(u·max(1e-5, |y|)) is tuned for float64 and is 4 % of Robertson's y2 with u = 6e-8).
  const yp = Float64Array.from(y);
  const deltas = new Float64Array(batch);
  for (let j = 0; j < D; j++) {
    for (let b = 0; b < batch; b++) {
      const idx = b * D + j;
      const v = y[idx] as number;
      const want = Math.sqrt(UROUND32) * Math.max(1e-5, Math.abs(v));
      let d = Math.fround(v + want) - Math.fround(v);
      if (d === 0) d = Math.fround(v + 2 * want) - Math.fround(v);
      deltas[b] = d;
      yp[idx] = v + d;
    }
    const fp = f(t, yp);
    for (let b = 0; b < batch; b++) {
      const d = deltas[b] as number;
      for (let i = 0; i < D; i++) {
        const idx = b * D + i;
        out[b * D * D + i * D + j] = ((fp[idx] as number) - (fy[idx] as number)) / d;
      }
      yp[b * D + j] = y[b * D + j] as number;
    }
  }
  return D;
}

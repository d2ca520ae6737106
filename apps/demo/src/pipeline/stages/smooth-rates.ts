/**
 * Smoothed values and time derivatives of a noisy, irregularly sampled series by local polynomial
 * regression (LOESS with tricube weights, Cleveland 1979; the derivative is the local fit's linear
 * coefficient, as in Savitzky–Golay filtering), with the window and degree chosen by leave-one-out
 * cross-validation over the observed points. Used to start the networks by gradient matching
 * (collocation, as in DiffEqFlux's `collocate_data`) before the ODE is solved at all.
 */

/** The smoothed values and rates of a series at each of its times (NaN where no estimate could be made). */
export interface SmoothedSeries {
  readonly value: Float64Array;
  readonly rate: Float64Array;
  /** The chosen number of neighbours and polynomial degree. */
  readonly window: number;
  readonly degree: number;
  /** Leave-one-out RMS residual of the chosen smoother (an estimate of the noise). */
  readonly looRms: number;
}

/** Solves the small dense system `a x = b` in place by Gaussian elimination with partial pivoting; undefined when singular. */
function solveSmall(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++)
      if (Math.abs((a[i] as number[])[k] as number) > Math.abs((a[p] as number[])[k] as number)) p = i;
    const pivot = (a[p] as number[])[k] as number;
    if (!(Math.abs(pivot) > 1e-12)) return undefined;
    [a[k], a[p]] = [a[p] as number[], a[k] as number[]];
    [b[k], b[p]] = [b[p] as number, b[k] as number];
    const rk = a[k] as number[];
    for (let i = k + 1; i < n; i++) {
      const ri = a[i] as number[];
      const f = (ri[k] as number) / (rk[k] as number);
      for (let j = k; j < n; j++) ri[j] = (ri[j] as number) - f * (rk[j] as number);
      b[i] = (b[i] as number) - f * (b[k] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    const ri = a[i] as number[];
    let s = b[i] as number;
    for (let j = i + 1; j < n; j++) s -= (ri[j] as number) * (x[j] as number);
    x[i] = s / (ri[i] as number);
  }
  return x;
}

/**
 * The local fit at time `t0` from the observed points `ts`/`ys` (sorted by time): the `window`
 * points nearest to `t0` (skipping index `skip`), tricube-weighted, a polynomial of `degree`.
 * Returns [value, rate] or undefined when the fit is singular.
 */
function localFit(
  ts: Float64Array,
  ys: Float64Array,
  t0: number,
  window: number,
  degree: number,
  skip: number,
): [number, number] | undefined {
  const n = ts.length;
  // the `window` nearest indices, grown outward from the insertion point of t0
  let hi = 0;
  while (hi < n && (ts[hi] as number) < t0) hi++;
  let lo = hi - 1;
  const idx: number[] = [];
  while (idx.length < window && (lo >= 0 || hi < n)) {
    const dl = lo >= 0 ? t0 - (ts[lo] as number) : Number.POSITIVE_INFINITY;
    const dh = hi < n ? (ts[hi] as number) - t0 : Number.POSITIVE_INFINITY;
    if (dl <= dh) {
      if (lo !== skip) idx.push(lo);
      lo--;
    } else {
      if (hi !== skip) idx.push(hi);
      hi++;
    }
  }
  if (idx.length < degree + 2) return undefined;
  let h = 0;
  for (const i of idx) h = Math.max(h, Math.abs((ts[i] as number) - t0));
  h *= 1.1;
  if (!(h > 0)) return undefined;
  const m = degree + 1;
  const a = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const b = new Array<number>(m).fill(0);
  for (const i of idx) {
    const u = ((ts[i] as number) - t0) / h;
    const au = Math.abs(u);
    const w0 = 1 - au * au * au;
    const w = w0 * w0 * w0;
    const pw = [1];
    for (let k = 1; k < m; k++) pw.push((pw[k - 1] as number) * u);
    for (let r = 0; r < m; r++) {
      b[r] = (b[r] as number) + w * (pw[r] as number) * (ys[i] as number);
      const row = a[r] as number[];
      for (let c = 0; c < m; c++) row[c] = (row[c] as number) + w * (pw[r] as number) * (pw[c] as number);
    }
  }
  const x = solveSmall(a, b);
  if (x === undefined) return undefined;
  return [x[0] as number, (x[1] as number) / h];
}

/** Window and degree candidates, tried in this order (ties keep the earlier, smoother-free choice). */
const CANDIDATES: readonly (readonly [number, number])[] = [
  [5, 2],
  [7, 2],
  [9, 2],
  [7, 3],
  [9, 3],
  [11, 3],
  [13, 3],
];

/**
 * Smoothed values and rates of one channel at every time of `times` (missing values, NaN, are
 * skipped as data but still get estimates). Fewer than 6 observed points give NaN everywhere.
 *
 * @example
 * ```ts
 * const t = Float64Array.from({ length: 40 }, (_, i) => i * 0.1);
 * const s = smoothRates(t, t.map((x) => Math.sin(x)));
 * // s.rate[20] ≈ cos(2)
 * ```
 */
export function smoothRates(times: Float64Array, values: Float64Array): SmoothedSeries {
  const keep: number[] = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v) && Number.isFinite(times[i] as number)) keep.push(i);
  });
  const ts = Float64Array.from(keep, (i) => times[i] as number);
  const ys = Float64Array.from(keep, (i) => values[i] as number);
  const n = ts.length;
  const none = (): SmoothedSeries => ({
    value: new Float64Array(times.length).fill(Number.NaN),
    rate: new Float64Array(times.length).fill(Number.NaN),
    window: 0,
    degree: 0,
    looRms: Number.NaN,
  });
  if (n < 6) return none();
  let best: { window: number; degree: number; loo: number } | undefined;
  for (const [window, degree] of CANDIDATES) {
    if (window > n - 1) continue;
    let sum = 0;
    let count = 0;
    for (let j = 0; j < n; j++) {
      const f = localFit(ts, ys, ts[j] as number, window, degree, j);
      if (f === undefined) continue;
      sum += (f[0] - (ys[j] as number)) ** 2;
      count++;
    }
    if (count < n / 2) continue;
    const loo = sum / count;
    if (best === undefined || loo < best.loo) best = { window, degree, loo };
  }
  if (best === undefined) return none();
  const value = new Float64Array(times.length).fill(Number.NaN);
  const rate = new Float64Array(times.length).fill(Number.NaN);
  times.forEach((t, i) => {
    const f = localFit(ts, ys, t, best.window, best.degree, -1);
    if (f !== undefined) {
      value[i] = f[0];
      rate[i] = f[1];
    }
  });
  return { value, rate, window: best.window, degree: best.degree, looRms: Math.sqrt(best.loo) };
}

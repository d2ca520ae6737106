/**
 * An ESDIRK method (singly diagonally implicit Runge–Kutta with an explicit first stage) as
 * data. Stage `i` solves `Y_i = y0 + h·Σ_{j<i} a[i][j]·k_j + h·γ·f(t0 + c[i]·h, Y_i)`,
 * `k_i = f(t0 + c[i]·h, Y_i)`; stage 0 is explicit (`Y_0 = y0`). The step returns
 * `y1 = y0 + h·Σ b_i k_i` and the error estimate `h·Σ bError_i k_i`.
 */
export interface EsdirkTableau {
  readonly name: string;
  /** Nodes, `c[0] = 0`. */
  readonly c: readonly number[];
  /** Lower-triangular rows including the diagonal: `a[i]` has `i + 1` entries, `a[i][i] = γ` for `i ≥ 1`, `a[0] = [0]`. */
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  /** `b − b̂` of the embedded method. */
  readonly bError: readonly number[];
  /** The diagonal coefficient γ. */
  readonly gamma: number;
  readonly order: number;
  /** Order of the local error estimate (embedded order + 1). */
  readonly errorOrder: number;
  /** `b` equals the last row of `a` (so `y1` is the last stage value and `f(t1, y1)` is its `k`). */
  readonly stifflyAccurate: boolean;
  /**
   * Dense output `y(t0 + θh) = y0 + h·Σ_j b_j(θ)·k_j` with `b_j(θ) = Σ_m dense[j][m−1]·θ^m`
   * (`b(1) = b`). Given by the tableau or, without one, cubic Hermite interpolation through
   * `(y0, k_0)` and `(y1, k_{s−1})` written in the stages.
   */
  readonly dense: readonly (readonly number[])[];
  readonly source: string;
}

const TOL = 1e-10;

/**
 * Builds a frozen ESDIRK tableau and validates it: the first stage is explicit, the diagonal is
 * γ, rows of A sum to c, Σb = 1, Σ bError = 0.
 *
 * @throws Error naming the tableau and the failed condition.
 * @example
 * ```ts
 * import { defineEsdirkTableau } from '@odekit/solvers';
 * // the trapezoidal rule as an ESDIRK (γ = 1/2), with an explicit-Euler embedded error
 * const trap = defineEsdirkTableau({ name: 'trapezoid', c: [0, 1], a: [[0], [0.5, 0.5]], b: [0.5, 0.5],
 *   bError: [-0.5, 0.5], order: 2, errorOrder: 2, source: 'textbook' });
 * if (trap.gamma !== 0.5 || !trap.stifflyAccurate) throw new Error('bad');
 * ```
 */
export function defineEsdirkTableau(spec: {
  name: string;
  c: number[];
  a: number[][];
  b: number[];
  bError: number[];
  order: number;
  errorOrder: number;
  dense?: number[][];
  source: string;
}): EsdirkTableau {
  const s = spec.c.length;
  const fail = (what: string): never => {
    throw new Error(`ESDIRK tableau '${spec.name}': ${what}`);
  };
  if (s < 2) fail('needs at least two stages');
  if (spec.a.length !== s || spec.b.length !== s || spec.bError.length !== s) {
    fail(`c, a, b and bError must have ${s} stages`);
  }
  if (spec.c[0] !== 0 || (spec.a[0] as number[]).length !== 1 || (spec.a[0] as number[])[0] !== 0) {
    fail('the first stage must be explicit (c[0] = 0, a[0] = [0])');
  }
  const gamma = (spec.a[1] as number[])[1] as number;
  if (!(gamma > 0)) fail(`γ = a[1][1] must be positive, got ${gamma}`);
  spec.a.forEach((row, i) => {
    if (row.length !== i + 1) fail(`row ${i} of A must have ${i + 1} entries (with the diagonal)`);
    if (i > 0 && row[i] !== gamma) fail(`a[${i}][${i}] = ${row[i]} differs from γ = ${gamma}`);
    const sum = row.reduce((x, y) => x + y, 0);
    if (Math.abs(sum - (spec.c[i] as number)) > TOL) fail(`row ${i} of A sums to ${sum}, not c[${i}] = ${spec.c[i]}`);
  });
  const sb = spec.b.reduce((x, y) => x + y, 0);
  if (Math.abs(sb - 1) > TOL) fail(`Σb = ${sb}, not 1`);
  const se = spec.bError.reduce((x, y) => x + y, 0);
  if (Math.abs(se) > TOL) fail(`Σ bError = ${se}, not 0`);
  const last = spec.a[s - 1] as number[];
  const stifflyAccurate = spec.b.every((v, j) => v === last[j]);
  // cubic Hermite: h10(θ)·k_0 + h11(θ)·k_{s−1} + h01(θ)·Σ b_j k_j
  const dense =
    spec.dense ??
    spec.b.map((bj, j) => [
      j === 0 ? 1 : 0,
      (j === 0 ? -2 : j === s - 1 ? -1 : 0) + 3 * bj,
      (j === 0 || j === s - 1 ? 1 : 0) - 2 * bj,
    ]);
  if (dense.length !== s) fail(`dense must have ${s} rows (one polynomial per stage)`);
  dense.forEach((row, j) => {
    const end = row.reduce((x, y) => x + y, 0);
    if (!row.every(Number.isFinite)) fail(`dense row ${j} is not finite`);
    if (Math.abs(end - (spec.b[j] as number)) > TOL) fail(`dense row ${j} sums to ${end}, not b[${j}] (b(1) = b)`);
  });
  const M = Math.max(...dense.map((r) => r.length));
  for (let m = 0; m < M; m++) {
    const sum = dense.reduce((acc, row) => acc + (row[m] ?? 0), 0);
    if (Math.abs(sum - (m === 0 ? 1 : 0)) > TOL)
      fail(`Σ_j b_j(θ) must be θ (the θ^${m + 1} coefficients sum to ${sum})`);
  }
  return Object.freeze({
    name: spec.name,
    c: Object.freeze([...spec.c]),
    a: Object.freeze(spec.a.map((r) => Object.freeze([...r]))),
    b: Object.freeze([...spec.b]),
    bError: Object.freeze([...spec.bError]),
    gamma,
    order: spec.order,
    errorOrder: spec.errorOrder,
    stifflyAccurate,
    dense: Object.freeze(dense.map((r) => Object.freeze([...r]))),
    source: spec.source,
  });
}

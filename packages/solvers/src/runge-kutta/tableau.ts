import { type Poly, polyAdd, polyEval, polyScale } from './poly.js';

/**
 * An explicit Runge–Kutta method as data: a Butcher tableau plus its dense output.
 *
 * Stage `i` evaluates `k_i = f(t0 + c[i]·h, y0 + h·Σ_j a[i][j]·k_j)`; the step returns
 * `y1 = y0 + h·Σ b_i k_i` and the error estimate `h·Σ bError_i k_i` (`bError = b − b̂`).
 * Dense output: `y(t0 + θh) = y0 + h·Σ_i P_i(θ)·k_i` over `denseRows` rows (the stages, plus
 * `f(t1, y1)` as an extra row when the method is not FSAL and uses Hermite interpolation).
 */
export interface ButcherTableau {
  readonly name: string;
  /** Nodes, `c[0] = 0`. */
  readonly c: readonly number[];
  /** Strictly lower-triangular rows; `a[i]` has `i` entries (`a[0]` is empty). */
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  /** `b − b̂` of the embedded method; absent for methods without an error estimate. */
  readonly bError?: readonly number[];
  /** Order of the solution. */
  readonly order: number;
  /** Order of the local error estimate (embedded order + 1), used by the step-size controller. */
  readonly errorOrder?: number;
  /** First same as last: the last stage is `f(t1, y1)` and is reused as the next step's first. */
  readonly fsal: boolean;
  /** Dense-output weight polynomials `P_i(θ)`, one per dense row. */
  readonly dense: readonly Poly[];
  /** Whether the dense rows include an extra `f(t1, y1)` row after the stages. */
  readonly denseNeedsF1: boolean;
  /** Where the coefficients come from. */
  readonly source: string;
}

/** What a tableau definition provides before the dense output is derived. */
export interface TableauSpec {
  name: string;
  c: number[];
  a: number[][];
  b: number[];
  bError?: number[];
  order: number;
  errorOrder?: number;
  source: string;
  /** Explicit dense polynomials (per stage); otherwise cubic Hermite interpolation is used. */
  dense?: Poly[];
}

const TOL = 1e-10;

/**
 * Builds a frozen tableau and validates it: rows of A sum to c, Σb = 1, Σ bError = 0, the dense
 * output reproduces `y0` at θ = 0 and `y1` at θ = 1, FSAL is detected from the last row.
 *
 * @throws Error naming the tableau and the failed condition.
 * @example
 * ```ts
 * import { defineTableau, explicitRungeKutta } from '@odekit/solvers';
 * // the explicit midpoint rule, order 2, with its cubic Hermite dense output derived
 * const tab = defineTableau({ name: 'my-midpoint', c: [0, 0.5], a: [[], [0.5]], b: [0, 1], order: 2,
 *   source: 'Runge (1895)' });
 * if (tab.fsal || !tab.denseNeedsF1) throw new Error('bad');
 * let threw = false;
 * try { defineTableau({ name: 'broken', c: [0, 0.5], a: [[], [0.4]], b: [0, 1], order: 2, source: '' }); }
 * catch { threw = true; }
 * if (!threw) throw new Error('rows of A must sum to c');
 * if (explicitRungeKutta(tab).order !== 2) throw new Error('bad');
 * ```
 */
export function defineTableau(spec: TableauSpec): ButcherTableau {
  const s = spec.c.length;
  const fail = (what: string): never => {
    throw new Error(`tableau '${spec.name}': ${what}`);
  };
  if (spec.a.length !== s || spec.b.length !== s) fail(`c, a and b must have ${s} stages`);
  if (spec.c[0] !== 0) fail('c[0] must be 0');
  spec.a.forEach((row, i) => {
    if (row.length !== i) fail(`row ${i} of A must have ${i} entries`);
    const sum = row.reduce((x, y) => x + y, 0);
    if (Math.abs(sum - (spec.c[i] as number)) > TOL) fail(`row ${i} of A sums to ${sum}, not c[${i}] = ${spec.c[i]}`);
  });
  const sb = spec.b.reduce((x, y) => x + y, 0);
  if (Math.abs(sb - 1) > TOL) fail(`Σb = ${sb}, not 1`);
  if (spec.bError) {
    if (spec.bError.length !== s) fail(`bError must have ${s} entries`);
    const se = spec.bError.reduce((x, y) => x + y, 0);
    if (Math.abs(se) > TOL) fail(`Σ bError = ${se}, not 0`);
  }
  const last = spec.a[s - 1] as number[];
  const fsal =
    s > 1 &&
    spec.c[s - 1] === 1 &&
    spec.b[s - 1] === 0 &&
    last.every((v, j) => Math.abs(v - (spec.b[j] as number)) < 1e-15);
  let dense: Poly[];
  let denseNeedsF1 = false;
  if (spec.dense) {
    if (spec.dense.length !== s) fail(`dense must have one polynomial per stage (${s})`);
    dense = spec.dense;
  } else {
    // Cubic Hermite through (y0, h·f0) and (y1, h·f1):
    // y0 + h10(θ)·h f0 + h01(θ)·(y1 − y0) + h11(θ)·h f1, with y1 − y0 = h Σ b_i k_i.
    const h10: Poly = [0, 1, -2, 1];
    const h01: Poly = [0, 0, 3, -2];
    const h11: Poly = [0, 0, -1, 1];
    dense = spec.b.map((bi) => polyScale(h01, bi));
    dense[0] = polyAdd(dense[0] as Poly, h10);
    if (fsal) dense[s - 1] = polyAdd(dense[s - 1] as Poly, h11);
    else {
      dense.push([...h11]);
      denseNeedsF1 = true;
    }
  }
  dense.forEach((p, i) => {
    if (Math.abs(polyEval(p, 0)) > TOL) fail(`dense polynomial ${i} is not 0 at θ = 0`);
    const bi = i < s ? (spec.b[i] as number) : 0;
    if (Math.abs(polyEval(p, 1) - bi) > 1e-7)
      fail(`dense polynomial ${i} at θ = 1 is ${polyEval(p, 1)}, not b[${i}] = ${bi}`);
  });
  return Object.freeze({
    name: spec.name,
    c: Object.freeze([...spec.c]),
    a: Object.freeze(spec.a.map((r) => Object.freeze([...r]))),
    b: Object.freeze([...spec.b]),
    ...(spec.bError ? { bError: Object.freeze([...spec.bError]) } : {}),
    order: spec.order,
    ...(spec.errorOrder !== undefined ? { errorOrder: spec.errorOrder } : {}),
    fsal,
    dense: Object.freeze(dense.map((p) => Object.freeze([...p]))),
    denseNeedsF1,
    source: spec.source,
  });
}

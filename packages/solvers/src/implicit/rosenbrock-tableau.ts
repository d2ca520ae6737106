/**
 * A Rosenbrock method in Hairer–Wanner's transformed form (no matrix–vector products with the
 * Jacobian): with `W = I/(h·γ) − J`, stage `i` solves
 * `W·U_i = f(t0 + α_i h, y0 + Σ_{j<i} a_ij U_j) + Σ_{j<i} (c_ij / h)·U_j + h·d_i·∂f/∂t`,
 * and the step returns `y1 = y0 + Σ m_i U_i` and the error estimate `Σ mError_i U_i`.
 * Hairer & Wanner, *Solving ODEs II* (2nd ed. 1996), §IV.7, eq. (7.25).
 */
export interface RosenbrockTableau {
  readonly name: string;
  /** The diagonal γ. */
  readonly gamma: number;
  /** `a[i]` has `i` entries. */
  readonly a: readonly (readonly number[])[];
  /** `c[i]` has `i` entries. */
  readonly c: readonly (readonly number[])[];
  /** Time nodes α_i. */
  readonly alpha: readonly number[];
  /** Time-derivative weights d_i. */
  readonly d: readonly number[];
  readonly m: readonly number[];
  /** `m − m̂` of the embedded method. */
  readonly mError: readonly number[];
  /**
   * Dense output (Hairer & Wanner's `rodas.f`, Steinebach's Rodas5P): `y(t0 + θh) = (1 − θ)·y0 +
   * θ·y1 + θ(1 − θ)·(K_1 + θ·K_2 + θ²·K_3)` with `K_r = Σ_j dense[r−1][j]·U_j` (two rows: RODAS4's
   * order-3 interpolant; three: Rodas5P's order 4); built from the stages, it does not (unlike
   * Hermite interpolation through `f(t0, y0)` and `f(t1, y1)`) amplify stiff components' errors by
   * the stiffness. Without it the solver uses cubic Hermite interpolation.
   */
  readonly dense?: readonly (readonly number[])[];
  readonly order: number;
  readonly errorOrder: number;
  readonly source: string;
}

/**
 * Builds a frozen Rosenbrock tableau and validates it: shapes, finite values, `α_0 = 0`,
 * `d_0 = γ`, and the stiffly accurate structure (the last stage's input is `y0 + Σ_{j<s−1} m_j U_j`).
 *
 * @throws Error naming the tableau and the failed condition.
 * @example
 * ```ts
 * import { RODAS4 } from '@odekit/solvers';
 * if (RODAS4.a.length !== 6 || RODAS4.gamma !== 0.25) throw new Error('bad');
 * ```
 */
export function defineRosenbrockTableau(spec: Omit<RosenbrockTableau, 'gamma'> & { gamma: number }): RosenbrockTableau {
  const s = spec.m.length;
  const fail = (what: string): never => {
    throw new Error(`Rosenbrock tableau '${spec.name}': ${what}`);
  };
  if (spec.a.length !== s || spec.c.length !== s || spec.alpha.length !== s || spec.d.length !== s) {
    fail(`a, c, alpha and d must have ${s} stages`);
  }
  if (spec.mError.length !== s) fail(`mError must have ${s} entries`);
  const dense = spec.dense;
  if (dense !== undefined && (dense.length < 2 || dense.length > 3 || dense.some((r) => r.length !== s))) {
    fail(`dense must be two or three rows of ${s} entries`);
  }
  spec.a.forEach((row, i) => {
    if (row.length !== i || (spec.c[i] as readonly number[]).length !== i)
      fail(`rows ${i} of a and c must have ${i} entries`);
  });
  const all = [
    spec.gamma,
    ...spec.a.flat(),
    ...spec.c.flat(),
    ...spec.alpha,
    ...spec.d,
    ...spec.m,
    ...spec.mError,
    ...(dense?.flat() ?? []),
  ];
  if (!all.every(Number.isFinite)) fail('a coefficient is not finite');
  if (spec.alpha[0] !== 0 || spec.d[0] !== spec.gamma) fail('α_0 must be 0 and d_0 must be γ');
  const last = spec.a[s - 1] as readonly number[];
  if (!last.every((v, j) => Math.abs(v - (spec.m[j] as number)) < 1e-12) || spec.m[s - 1] !== 1) {
    fail('the method must be stiffly accurate (last row of a = m without its last entry, m_last = 1)');
  }
  return Object.freeze({
    ...spec,
    a: Object.freeze(spec.a.map((r) => Object.freeze([...r]))),
    c: Object.freeze(spec.c.map((r) => Object.freeze([...r]))),
    alpha: Object.freeze([...spec.alpha]),
    d: Object.freeze([...spec.d]),
    m: Object.freeze([...spec.m]),
    mError: Object.freeze([...spec.mError]),
    ...(dense === undefined ? {} : { dense: Object.freeze(dense.map((r) => Object.freeze([...r]))) }),
  });
}

/**
 * RODAS4 (Hairer & Wanner's `RODAS` code, order 4(3), six stages, L-stable, stiffly accurate),
 * transformed coefficients. Hairer & Wanner, *Solving ODEs II* (2nd ed. 1996), §IV.7, Table 7.4
 * ("RODAS"), and the Fortran code `rodas.f` (coefficients to 16 digits, as also in Diffrax's
 * `Rodas4`).
 */
export const RODAS4: RosenbrockTableau = (() => {
  const m = [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895, 1, 1];
  return defineRosenbrockTableau({
    name: 'rodas4',
    gamma: 0.25,
    a: [
      [],
      [1.544],
      [0.9466785280815826, 0.2557011698983284],
      [3.314825187068521, 2.896124015972201, 0.9986419139977817],
      m.slice(0, 4),
      m.slice(0, 5),
    ],
    c: [
      [],
      [-5.6688],
      [-2.430093356833875, -0.2063599157091915],
      [-0.1073529058151375, -9.594562251023355, -20.47028614809616],
      [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616],
      [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054],
    ],
    alpha: [0, 0.386, 0.21, 0.63, 1, 1],
    d: [0.25, -0.1043, 0.1035, -0.0362, 0, 0],
    m,
    mError: [0, 0, 0, 0, 0, 1],
    // rodas.f's D21…D35 (the sixth stage does not enter)
    dense: [
      [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662, 0],
      [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872, 0],
    ],
    order: 4,
    errorOrder: 4,
    source: 'Hairer & Wanner, Solving ODEs II (1996), §IV.7 and rodas.f, doi:10.1007/978-3-642-05221-7',
  });
})();

/**
 * Rodas5P (Steinebach 2023: order 5(4), eight stages, stiffly accurate, L-stable, with an
 * order-4 dense output of three rows), in the transformed form of {@link RosenbrockTableau}: the
 * stage inputs of stages 7 and 8 are stage 6's plus `U_6` (plus `U_7`), `y1` adds `U_8`, and the
 * error estimate is `U_8`. Coefficients to 16 digits from G. Steinebach, "Construction of
 * Rosenbrock–Wanner method Rodas5P and numerical benchmarks within the Julia Differential
 * Equations package", BIT Numerical Mathematics 63, 27 (2023), doi:10.1007/s10543-023-00967-x
 * (as in OrdinaryDiffEq.jl's `Rodas5PTableau`); the order conditions are checked in the tests.
 */
export const RODAS5P: RosenbrockTableau = (() => {
  const a6 = [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946];
  return defineRosenbrockTableau({
    name: 'rodas5p',
    gamma: 0.21193756319429014,
    a: [
      [],
      [3.0],
      [2.849394379747939, 0.45842242204463923],
      [-6.954028509809101, 2.489845061869568, -10.358996098473584],
      [2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641],
      a6,
      [...a6, 1],
      [...a6, 1, 1],
    ],
    c: [
      [],
      [-14.155112264123755],
      [-17.97296035885952, -2.859693295451294],
      [147.12150275711716, -1.41221402718213, 71.68940251302358],
      [165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306],
      [24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471],
      [
        30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623,
        -28.087943162872662,
      ],
      [
        37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002,
        -54.66780262877968, -9.48861652309627,
      ],
    ],
    alpha: [0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1, 1, 1],
    d: [0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734, 2.325825639765069, 0, 0, 0],
    m: [...a6, 1, 1, 1],
    mError: [0, 0, 0, 0, 0, 0, 0, 1],
    dense: [
      [
        25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204, 0.524948541321073,
        1.1241088310450404, 0.4272876194431874, -0.17202221070155493,
      ],
      [
        -9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796, 20.176138334709044,
        15.98066361424651, -6.789040303419874, -6.710236069923372,
      ],
      [
        11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643, -52.072871366152654,
        -59.78993625266729, -0.15582684282751913, 4.883087185713722,
      ],
    ],
    order: 5,
    errorOrder: 5,
    source:
      'G. Steinebach, Construction of Rosenbrock–Wanner method Rodas5P and numerical benchmarks within the Julia Differential Equations package, BIT Numer. Math. 63, 27 (2023), doi:10.1007/s10543-023-00967-x',
  });
})();

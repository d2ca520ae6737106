import { type Poly, polyAdd, polyProduct, polyScale } from './poly.js';
import { type ButcherTableau, defineTableau } from './tableau.js';

// Numerical methods are data. Every tableau below is validated by `defineTableau` when this
// module loads (rows of A sum to c, Σb = 1, Σ bError = 0, dense output hits y0 and y1).

/**
 * Forward Euler (order 1).
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { EULER, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(EULER);
 * if (solver.order !== 1 || solver.name !== 'euler') throw new Error('bad');
 * ```
 */
export const EULER: ButcherTableau = defineTableau({
  name: 'euler',
  c: [0],
  a: [[]],
  b: [1],
  order: 1,
  source: 'Euler (1768); Hairer, Nørsett & Wanner, Solving ODEs I, §II.1',
});

/**
 * Heun's method (explicit trapezoid), order 2 with an embedded Euler error estimate.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { HEUN, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(HEUN);
 * if (solver.order !== 2 || solver.name !== 'heun') throw new Error('bad');
 * ```
 */
export const HEUN: ButcherTableau = defineTableau({
  name: 'heun',
  c: [0, 1],
  a: [[], [1]],
  b: [0.5, 0.5],
  bError: [-0.5, 0.5],
  order: 2,
  errorOrder: 2,
  source: 'Heun (1900); Hairer, Nørsett & Wanner, Solving ODEs I, §II.1',
});

/**
 * Explicit midpoint method, order 2 with an embedded Euler error estimate.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { MIDPOINT, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(MIDPOINT);
 * if (solver.order !== 2 || solver.name !== 'midpoint') throw new Error('bad');
 * ```
 */
export const MIDPOINT: ButcherTableau = defineTableau({
  name: 'midpoint',
  c: [0, 0.5],
  a: [[], [0.5]],
  b: [0, 1],
  bError: [-1, 1],
  order: 2,
  errorOrder: 2,
  source: 'Runge (1895); Hairer, Nørsett & Wanner, Solving ODEs I, §II.1',
});

/**
 * Ralston's second-order method (minimal truncation error), embedded Euler estimate.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { RALSTON, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(RALSTON);
 * if (solver.order !== 2 || solver.name !== 'ralston') throw new Error('bad');
 * ```
 */
export const RALSTON: ButcherTableau = defineTableau({
  name: 'ralston',
  c: [0, 2 / 3],
  a: [[], [2 / 3]],
  b: [1 / 4, 3 / 4],
  bError: [1 / 4 - 1, 3 / 4],
  order: 2,
  errorOrder: 2,
  source: 'Ralston, Runge–Kutta methods with minimum error bounds, Math. Comp. 16 (1962), doi:10.2307/2003133',
});

/**
 * Bogacki–Shampine 3(2), FSAL.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { BOSH3, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(BOSH3);
 * if (solver.order !== 3 || solver.name !== 'bosh3') throw new Error('bad');
 * ```
 */
export const BOSH3: ButcherTableau = defineTableau({
  name: 'bosh3',
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  bError: [2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8],
  order: 3,
  errorOrder: 3,
  source:
    'Bogacki & Shampine, A 3(2) pair of Runge–Kutta formulas, Appl. Math. Lett. 2 (1989), doi:10.1016/0893-9659(89)90079-7',
});

/**
 * The classical fourth-order Runge–Kutta method.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { RK4, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(RK4);
 * if (solver.order !== 4 || solver.name !== 'rk4') throw new Error('bad');
 * ```
 */
export const RK4: ButcherTableau = defineTableau({
  name: 'rk4',
  c: [0, 1 / 2, 1 / 2, 1],
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  order: 4,
  source: 'Kutta (1901); Hairer, Nørsett & Wanner, Solving ODEs I, §II.1',
});

const TSIT5_B = [
  0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0,
];
const TSIT5_BHAT = [
  0.09468075576583945,
  0.009183565540343254,
  0.4877705284247616,
  1.234297566930479,
  -2.7077123499835256,
  1.866628418170587,
  1 / 66,
];

/**
 * Tsitouras 5(4), FSAL, with its own fifth-order-accurate dense output.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { TSIT5, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(TSIT5);
 * if (solver.order !== 5 || solver.name !== 'tsit5') throw new Error('bad');
 * ```
 */
export const TSIT5: ButcherTableau = defineTableau({
  name: 'tsit5',
  c: [0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1],
  a: [
    [],
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.8971530571054935, -6.359448489975075, 4.3622954328695815],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
    TSIT5_B.slice(0, 6),
  ],
  b: TSIT5_B,
  bError: TSIT5_B.map((b, i) => b - (TSIT5_BHAT[i] as number)),
  order: 5,
  errorOrder: 5,
  dense: [
    polyScale(
      polyProduct([0, 1], [-1.3299890189751412, 1], [0.7139816917074209, -1.4364028541716351, 1]),
      -1.0530884977290216,
    ),
    polyScale(polyProduct([0, 0, 1], [1.2949852507374631, -2.1966568338249754, 1]), 0.1017),
    polyScale(polyProduct([0, 0, 1], [1.5780346820809249, -2.3853564547206166, 1]), 2.490627285651253),
    polyScale(polyProduct([0, 0, 1], [-1.2171292729553324, 1], [-0.6162040603780009, 1]), -16.548102889244902),
    polyScale(polyProduct([0, 0, 1], [-1.2030712083723626, 1], [-0.6580472926535474, 1]), 47.37952196281928),
    polyScale(polyProduct([0, 0, 1], [-1.2, 1], [-2 / 3, 1]), -34.87065786149661),
    polyScale(polyProduct([0, 0, 1], [-1, 1], [-0.6, 1]), 2.5),
  ],
  source:
    'Tsitouras, Runge–Kutta pairs of order 5(4) satisfying only the first column simplifying assumption, Comput. Math. Appl. 62 (2011), doi:10.1016/j.camwa.2011.06.002',
});

const DOPRI5_B = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
/** Shampine's (1986) fourth-order embedded weights, as Diffrax and torchdiffeq use. */
const DOPRI5_BHAT = [1951 / 21600, 0, 22642 / 50085, 451 / 720, -12231 / 42400, 649 / 6300, 1 / 60];
/** Shampine's (1986) weights for the solution at θ = 1/2, used by the dense output. */
const DOPRI5_CMID = [
  6025192743 / 30085553152 / 2,
  0,
  51252292925 / 65400821598 / 2,
  -2691868925 / 45128329728 / 2,
  187940372067 / 1594534317056 / 2,
  -1776094331 / 19743644256 / 2,
  11237099 / 235043384 / 2,
];

/**
 * The quartic through y0, y(1/2), y1 with slopes f0 and f1 (Shampine 1986), as one weight
 * polynomial per stage: P = a1 θ + a2 θ² + a3 θ³ + a4 θ⁴ with a1 = e0 and [a2, a3, a4] solving
 * [[1,1,1],[2,3,4],[4,2,1]]·a = [b − e0, e6 − e0, 16·cmid − 8·e0].
 */
function dopri5Dense(): Poly[] {
  // inverse of [[1,1,1],[2,3,4],[4,2,1]] (determinant 1)
  const inv = [
    [-5, 1, 1],
    [14, -3, -2],
    [-8, 2, 1],
  ];
  return DOPRI5_B.map((bi, i) => {
    const e0 = i === 0 ? 1 : 0;
    const e6 = i === 6 ? 1 : 0;
    const rhs = [bi - e0, e6 - e0, 16 * (DOPRI5_CMID[i] as number) - 8 * e0];
    const coef = inv.map((row) => row.reduce((acc, m, j) => acc + m * (rhs[j] as number), 0));
    return polyAdd([0, e0], [0, 0, ...coef]);
  });
}

/**
 * Dormand–Prince 5(4), FSAL, with Shampine's quartic dense output.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { DOPRI5, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(DOPRI5);
 * if (solver.order !== 5 || solver.name !== 'dopri5') throw new Error('bad');
 * ```
 */
export const DOPRI5: ButcherTableau = defineTableau({
  name: 'dopri5',
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    DOPRI5_B.slice(0, 6),
  ],
  b: DOPRI5_B,
  bError: DOPRI5_B.map((b, i) => b - (DOPRI5_BHAT[i] as number)),
  order: 5,
  errorOrder: 5,
  dense: dopri5Dense(),
  source:
    'Dormand & Prince, A family of embedded Runge–Kutta formulae, J. Comput. Appl. Math. 6 (1980), doi:10.1016/0771-050X(80)90013-3; dense output: Shampine, Some practical Runge–Kutta formulas, Math. Comp. 46 (1986), doi:10.2307/2008219',
});

const DOPRI8_B = [
  14005451 / 335480064,
  0,
  0,
  0,
  0,
  -59238493 / 1068277825,
  181606767 / 758867731,
  561292985 / 797845732,
  -1041891430 / 1371343529,
  760417239 / 1151165299,
  118820643 / 751138087,
  -528747749 / 2220607170,
  1 / 4,
  0,
];
const DOPRI8_BHAT = [
  13451932 / 455176623,
  0,
  0,
  0,
  0,
  -808719846 / 976000145,
  1757004468 / 5645159321,
  656045339 / 265891186,
  -3867574721 / 1518517206,
  465885868 / 322736535,
  53011238 / 667516719,
  2 / 45,
  0,
  0,
];
/** Bogacki & Shampine (1990) interpolant: P_i(θ) = θ·Σ_j D[i][j]·θ^(5−j). */
const DOPRI8_D = [
  [
    -6.3448349392860401388, 22.1396504998094068976, -30.0610568289666450593, 19.999006933368397061,
    -6.6910181737837595697, 1,
  ],
  [0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0],
  [
    -39.6107919852202505218, 116.4422149550342161651, -121.4999627731334642623, 52.227353279294552405,
    -7.6142658045872677172, 0,
  ],
  [
    20.3761213808791436958, -67.1451318825957197185, 83.1721004639847717481, -46.8919164181093621583,
    10.7281392630428866124, 0,
  ],
  [
    7.3347098826795362023, -16.5672243527496524646, 9.5724507555993664382, -0.1890893225010595467,
    0.5526637063753648783, 0,
  ],
  [
    32.8801774352459155182, -89.9916014847245016028, 87.8406057677205645007, -35.7075975946222072821,
    4.2186562625665153803, 0,
  ],
  [
    -10.1588990526426760954, 22.6237489648532849093, -17.4152107770762969005, 6.273644808324035216,
    -0.6627209125361597559, 0,
  ],
  [
    -12.54012680987825612, 32.2362340167355370113, -28.5903289514790976966, 10.3160881272450748458,
    -1.2636789001135462218, 0,
  ],
  [
    29.5553001484516038033, -82.1020315488359848644, 81.6630950584341412934, -34.7650769866611817349,
    5.410603789859042223, 0,
  ],
  [
    -41.7923486424390588923, 116.2662185791119533462, -114.937529137700941817, 47.7457971078225540396,
    -7.0321379067945741781, 0,
  ],
  [
    20.3006925822100825485, -53.9020777466385396792, 50.2558364226176017553, -19.0082099341608028453,
    2.3537586759714983486, 0,
  ],
];

/**
 * Prince–Dormand 8(7) (RK8(7)13M), 14 stages with FSAL, with Bogacki–Shampine dense output.
 *
 * Data only: pass it to {@link explicitRungeKutta} (or use the ready-made solver).
 *
 * @example
 * ```ts
 * import { DOPRI8, explicitRungeKutta } from '@odekit/solvers';
 * const solver = explicitRungeKutta(DOPRI8);
 * if (solver.order !== 8 || solver.name !== 'dopri8') throw new Error('bad');
 * ```
 */
export const DOPRI8: ButcherTableau = defineTableau({
  name: 'dopri8',
  c: [
    0,
    1 / 18,
    1 / 12,
    1 / 8,
    5 / 16,
    3 / 8,
    59 / 400,
    93 / 200,
    5490023248 / 9719169821,
    13 / 20,
    1201146811 / 1299019798,
    1,
    1,
    1,
  ],
  a: [
    [],
    [1 / 18],
    [1 / 48, 1 / 16],
    [1 / 32, 0, 3 / 32],
    [5 / 16, 0, -75 / 64, 75 / 64],
    [3 / 80, 0, 0, 3 / 16, 3 / 20],
    [29443841 / 614563906, 0, 0, 77736538 / 692538347, -28693883 / 1125000000, 23124283 / 1800000000],
    [
      16016141 / 946692911,
      0,
      0,
      61564180 / 158732637,
      22789713 / 633445777,
      545815736 / 2771057229,
      -180193667 / 1043307555,
    ],
    [
      39632708 / 573591083,
      0,
      0,
      -433636366 / 683701615,
      -421739975 / 2616292301,
      100302831 / 723423059,
      790204164 / 839813087,
      800635310 / 3783071287,
    ],
    [
      246121993 / 1340847787,
      0,
      0,
      -37695042795 / 15268766246,
      -309121744 / 1061227803,
      -12992083 / 490766935,
      6005943493 / 2108947869,
      393006217 / 1396673457,
      123872331 / 1001029789,
    ],
    [
      -1028468189 / 846180014,
      0,
      0,
      8478235783 / 508512852,
      1311729495 / 1432422823,
      -10304129995 / 1701304382,
      -48777925059 / 3047939560,
      15336726248 / 1032824649,
      -45442868181 / 3398467696,
      3065993473 / 597172653,
    ],
    [
      185892177 / 718116043,
      0,
      0,
      -3185094517 / 667107341,
      -477755414 / 1098053517,
      -703635378 / 230739211,
      5731566787 / 1027545527,
      5232866602 / 850066563,
      -4093664535 / 808688257,
      3962137247 / 1805957418,
      65686358 / 487910083,
    ],
    [
      403863854 / 491063109,
      0,
      0,
      -5068492393 / 434740067,
      -411421997 / 543043805,
      652783627 / 914296604,
      11173962825 / 925320556,
      -13158990841 / 6184727034,
      3936647629 / 1978049680,
      -160528059 / 685178525,
      248638103 / 1413531060,
      0,
    ],
    DOPRI8_B.slice(0, 13),
  ],
  b: DOPRI8_B,
  bError: DOPRI8_B.map((b, i) => b - (DOPRI8_BHAT[i] as number)),
  order: 8,
  errorOrder: 8,
  dense: DOPRI8_D.map((row) => [0, ...[...row].reverse()]),
  source:
    'Prince & Dormand, High order embedded Runge–Kutta formulae, J. Comput. Appl. Math. 7 (1981), doi:10.1016/0771-050X(81)90010-3; dense output: Bogacki & Shampine, Interpolating high-order Runge–Kutta formulas, Comput. Math. Appl. 20 (1990), doi:10.1016/0898-1221(90)90027-H',
});

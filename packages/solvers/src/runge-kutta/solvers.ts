import type { AbstractSolver } from '../solver.js';
import { explicitRungeKutta } from './explicit.js';
import { BOSH3, DOPRI5, DOPRI8, EULER, HEUN, MIDPOINT, RALSTON, RK4, TSIT5 } from './tableaus.js';

/**
 * Forward Euler, order 1, no error estimate (use with `constantStepSize`).
 *
 * @example
 * ```ts
 * import { euler } from '@odekit/solvers';
 * if (euler().order !== 1) throw new Error('bad');
 * ```
 */
export function euler(): AbstractSolver {
  return explicitRungeKutta(EULER);
}

/**
 * Heun's method, order 2, with an embedded Euler error estimate.
 *
 * @example
 * ```ts
 * import { heun } from '@odekit/solvers';
 * if (heun().order !== 2) throw new Error('bad');
 * ```
 */
export function heun(): AbstractSolver {
  return explicitRungeKutta(HEUN);
}

/**
 * The explicit midpoint method, order 2, with an embedded Euler error estimate.
 *
 * @example
 * ```ts
 * import { midpoint } from '@odekit/solvers';
 * if (midpoint().order !== 2) throw new Error('bad');
 * ```
 */
export function midpoint(): AbstractSolver {
  return explicitRungeKutta(MIDPOINT);
}

/**
 * Ralston's method, order 2 (minimum error bound), with an embedded Euler error estimate.
 *
 * @example
 * ```ts
 * import { ralston } from '@odekit/solvers';
 * if (ralston().order !== 2) throw new Error('bad');
 * ```
 */
export function ralston(): AbstractSolver {
  return explicitRungeKutta(RALSTON);
}

/**
 * Bogacki–Shampine 3(2), FSAL, cubic Hermite dense output.
 *
 * @example
 * ```ts
 * import { bosh3 } from '@odekit/solvers';
 * if (bosh3().errorOrder !== 3) throw new Error('bad');
 * ```
 */
export function bosh3(): AbstractSolver {
  return explicitRungeKutta(BOSH3);
}

/**
 * The classical fourth-order Runge–Kutta method (no error estimate).
 *
 * @example
 * ```ts
 * import { rk4 } from '@odekit/solvers';
 * if (rk4().order !== 4) throw new Error('bad');
 * ```
 */
export function rk4(): AbstractSolver {
  return explicitRungeKutta(RK4);
}

/**
 * Tsitouras 5(4) (Tsitouras 2011), FSAL, with its own dense output. A good default.
 *
 * @example
 * ```ts
 * import { tsit5 } from '@odekit/solvers';
 * if (tsit5().order !== 5) throw new Error('bad');
 * ```
 */
export function tsit5(): AbstractSolver {
  return explicitRungeKutta(TSIT5);
}

/**
 * Dormand–Prince 5(4) (Dormand & Prince 1980), FSAL, with Shampine's dense output.
 *
 * @example
 * ```ts
 * import { dopri5 } from '@odekit/solvers';
 * if (dopri5().order !== 5) throw new Error('bad');
 * ```
 */
export function dopri5(): AbstractSolver {
  return explicitRungeKutta(DOPRI5);
}

/**
 * Prince–Dormand 8(7) (Prince & Dormand 1981), 14 stages with FSAL, Bogacki–Shampine dense
 * output. For tight tolerances; at float32 precision tolerances below ~1e-7 buy nothing.
 *
 * @example
 * ```ts
 * import { dopri8 } from '@odekit/solvers';
 * if (dopri8().order !== 8) throw new Error('bad');
 * ```
 */
export function dopri8(): AbstractSolver {
  return explicitRungeKutta(DOPRI8);
}

import type { AbstractSolver } from '../solver.js';
import { esdirk } from './esdirk.js';
import { IMPLICIT_EULER, KVAERNO3, KVAERNO5 } from './esdirk-tableaus.js';
import type { ImplicitOptions } from './implicit-options.js';
import { rosenbrock } from './rosenbrock.js';
import { RODAS4, RODAS5P } from './rosenbrock-tableau.js';

/**
 * Kværnø's ESDIRK 5(4) (BIT 44 (2004) 489–502): L-stable, stiffly accurate, 7 stages (6
 * implicit), order-3 dense output from the stages. The stiff solver to try first; on the host path (cpu, wasm)
 * the state and the linear algebra are float64 while the field runs in float32, so tolerances
 * down to rtol ≈ 1e-6 are meaningful (1e-4 on other backends, whose state is float32).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { diffeqsolve, kvaerno5, pidController } from '@odekit/solvers';
 * // a stiff linear decay: explicit solvers would need ~1e5 steps
 * const sol = diffeqsolve({ term: (t, y: tf.Tensor) => tf.mul(-1e5, y), solver: kvaerno5(),
 *   t0: 0, t1: 10, y0: tf.tensor1d([1]), stepsizeController: pidController({ rtol: 1e-4, atol: 1e-8 }) });
 * if (sol.stats.numSteps > 200 || !(sol.stats.numJacobianEvals! >= 1)) throw new Error('bad');
 * sol.dispose();
 * ```
 */
export function kvaerno5(options: ImplicitOptions = {}): AbstractSolver {
  return esdirk(KVAERNO5, options);
}

/**
 * Kværnø's ESDIRK 3(2) (BIT 44 (2004) 489–502): L-stable, stiffly accurate, 4 stages.
 *
 * @example
 * ```ts
 * import { kvaerno3 } from '@odekit/solvers';
 * if (kvaerno3().order !== 3) throw new Error('bad');
 * ```
 */
export function kvaerno3(options: ImplicitOptions = {}): AbstractSolver {
  return esdirk(KVAERNO3, options);
}

/**
 * Implicit (backward) Euler, order 1, L-stable, with an explicit-Euler error estimate for
 * adaptive steps.
 *
 * @example
 * ```ts
 * import { implicitEuler } from '@odekit/solvers';
 * if (implicitEuler().order !== 1) throw new Error('bad');
 * ```
 */
export function implicitEuler(options: ImplicitOptions = {}): AbstractSolver {
  return esdirk(IMPLICIT_EULER, options);
}

/**
 * RODAS4, Hairer & Wanner's Rosenbrock method of order 4(3) (*Solving ODEs II*, §IV.7):
 * L-stable, stiffly accurate, 6 stages, one LU factorisation and one Jacobian per step, no Newton
 * iterations. Cheap per step on small systems; gradients treat the Jacobian as constant.
 *
 * @example
 * ```ts
 * import { rodas4 } from '@odekit/solvers';
 * if (rodas4().order !== 4) throw new Error('bad');
 * ```
 */
export function rodas4(options: ImplicitOptions = {}): AbstractSolver {
  return rosenbrock(RODAS4, options);
}

/**
 * Rodas5P, Steinebach's Rosenbrock method of order 5(4) (BIT 63, 27, 2023,
 * doi:10.1007/s10543-023-00967-x): L-stable, stiffly accurate, 8 stages, one LU factorisation
 * and one Jacobian per step, no Newton iterations, an order-4 dense output from the stages.
 * More accurate than {@link rodas4} per evaluation, above all at loose tolerances (it was built
 * to keep its order on stiff problems where RODAS4's error estimate is too optimistic), and the
 * recommended Rosenbrock method; gradients treat the Jacobian as constant.
 *
 * @example
 * ```ts
 * import { rodas5p } from '@odekit/solvers';
 * if (rodas5p().order !== 5) throw new Error('bad');
 * ```
 */
export function rodas5p(options: ImplicitOptions = {}): AbstractSolver {
  return rosenbrock(RODAS5P, options);
}

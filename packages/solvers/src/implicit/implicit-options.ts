import { checkOptions } from '../options.js';
import type { JacobianOption } from './jacobian.js';

/** Options of the implicit solvers ({@link kvaerno5} and friends, {@link rodas4}). */
export interface ImplicitOptions {
  /** Where the Jacobian comes from (see {@link JacobianOption}); default `'auto'`. */
  jacobian?: JacobianOption;
  /**
   * Newton's stopping constant κ: a stage is solved when the predicted remaining error is at most
   * κ in units of the controller's error norm (Hairer & Wanner IV.8). Default 0.03 (RADAU5's
   * `fnewt` at rtol 1e-3; 5–12 % fewer evaluations than 0.01 on the stiff reference problems,
   * errors within the same bounds).
   */
  kappa?: number;
  /** Newton iterations per stage before the step is retried or rejected. Default 10. */
  maxNewtonIterations?: number;
  /** Refresh the Jacobian after a step whose Newton contraction rate exceeded this. Default 0.1. */
  jacobianRefresh?: number;
  /** Newton tolerances used with `constantStepSize()` (which has none). Default 1e-6 and 1e-9. */
  rtol?: number;
  atol?: number;
}

/** Checked options with defaults. */
export interface ResolvedImplicitOptions {
  readonly jacobian: JacobianOption;
  readonly kappa: number;
  readonly maxNewtonIterations: number;
  readonly jacobianRefresh: number;
  readonly rtol: number;
  readonly atol: number;
}

/** Validates the options of an implicit solver named `fn`. */
export function resolveImplicitOptions(fn: string, o: ImplicitOptions): ResolvedImplicitOptions {
  checkOptions(fn, o, ['jacobian', 'kappa', 'maxNewtonIterations', 'jacobianRefresh', 'rtol', 'atol']);
  const {
    jacobian = 'auto',
    kappa = 0.03,
    maxNewtonIterations = 10,
    jacobianRefresh = 0.001,
    rtol = 1e-6,
    atol = 1e-9,
  } = o;
  if (typeof jacobian !== 'function' && jacobian !== 'auto' && jacobian !== 'fd' && jacobian !== 'vjp') {
    throw new Error(
      `${fn}: 'jacobian' must be 'auto', 'fd', 'vjp' or a function (t, y) => J, got ${String(jacobian)}.`,
    );
  }
  const positive = (name: string, v: number) => {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
      throw new Error(`${fn}: '${name}' must be a positive number, got ${String(v)}.`);
    }
  };
  positive('kappa', kappa);
  positive('jacobianRefresh', jacobianRefresh);
  positive('rtol', rtol);
  positive('atol', atol);
  if (!(Number.isInteger(maxNewtonIterations) && maxNewtonIterations >= 1)) {
    throw new Error(`${fn}: 'maxNewtonIterations' must be a positive integer, got ${String(maxNewtonIterations)}.`);
  }
  return { jacobian, kappa, maxNewtonIterations, jacobianRefresh, rtol, atol };
}

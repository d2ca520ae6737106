import { createRng } from '@odekit/core';
import { optimizeConstants } from './constant-optimizer.js';
import { type DataColumns, makeDataset } from './dataset.js';
import { Expression } from './expression.js';
import { Objective } from './objective.js';

/** Options of {@link refitConstants}. */
export interface RefitOptions {
  /** Inputs by variable name, each `[N]`. */
  readonly X: DataColumns;
  /** Targets `[N]`. */
  readonly y: Float64Array | readonly number[];
  readonly weights?: Float64Array | readonly number[];
  /** Optimiser iterations (default 100). */
  readonly iterations?: number;
  /** 'LM' (default) or 'BFGS'. */
  readonly algorithm?: 'LM' | 'BFGS';
}

/**
 * Refits every constant of `expr` to the data by weighted least squares in float64
 * (Levenberg–Marquardt by default), keeping the structure. Returns `expr` itself when nothing
 * improves (e.g. no constants).
 *
 * @throws Error for malformed data.
 * @example
 * ```ts
 * import { parseExpression, refitConstants } from '@odekit/symbolic';
 * const x = Float64Array.from({ length: 20 }, (_, i) => i / 4);
 * const fit = refitConstants(parseExpression('1*exp(-1*x)'), { X: { x }, y: x.map((v) => 2 * Math.exp(-0.5 * v)) });
 * const [a, b] = fit.constants;
 * if (Math.abs((a ?? 0) - 2) > 1e-8 || Math.abs((b ?? 0) + 0.5) > 1e-8) throw new Error(fit.toString());
 * ```
 */
export function refitConstants(expr: Expression, options: RefitOptions): Expression {
  const { X, y, weights, iterations = 100, algorithm = 'LM' } = options;
  if (!(expr instanceof Expression)) {
    throw new Error("refitConstants: 'expr' must be an Expression; build one with parseExpression('...').");
  }
  const objective = new Objective(makeDataset('refitConstants', X, y, weights), undefined);
  const r = optimizeConstants(expr.root, objective.full, objective, createRng(0), {
    algorithm,
    iterations,
    restarts: 0,
  });
  return r.tree === expr.root ? expr : new Expression(r.tree);
}

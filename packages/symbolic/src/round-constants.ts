import { portablePow } from '@odekit/core';
import { Expression } from './expression.js';
import { constantsOf, type ExprNode, withConstants } from './node.js';

/**
 * Rounds every constant to `digits` decimals (SRBench rounds to 3 before its equivalence check),
 * e.g. to print `1.3*x` instead of `1.3000000000000493*x`.
 *
 * @throws Error when `digits` is not an integer in [0, 15].
 * @example
 * ```ts
 * import { parseExpression, roundConstants } from '@odekit/symbolic';
 * const e = roundConstants(parseExpression('1.30000004*x - 0.8999999*y'), 3);
 * if (e.toString() !== '1.3*x - 0.9*y') throw new Error(e.toString());
 * ```
 */
export function roundConstants(expr: Expression, digits: number): Expression;
export function roundConstants(expr: ExprNode, digits: number): ExprNode;
export function roundConstants(expr: Expression | ExprNode, digits: number): Expression | ExprNode {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) {
    throw new Error(`roundConstants: 'digits' must be an integer in [0, 15], got ${digits}.`);
  }
  const root = expr instanceof Expression ? expr.root : expr;
  const f = portablePow(10, digits);
  const rounded = withConstants(
    root,
    constantsOf(root).map((c) => {
      const r = Math.round(c * f) / f;
      return Number(r.toFixed(digits)) + 0;
    }),
  );
  return expr instanceof Expression ? new Expression(rounded) : rounded;
}

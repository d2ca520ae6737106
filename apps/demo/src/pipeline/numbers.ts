import {
  constant,
  constantsOf,
  Expression,
  type ExprNode,
  parseExpression,
  simplify,
  substituteVariables,
  variablesOf,
  withConstants,
} from '@odekit/symbolic';
import { cancelMonomials } from './expand-polynomial.js';

/** `v` to `digits` significant digits, as a number (−0 becomes 0). */
export function roundTo(v: number, digits: number): number {
  if (!Number.isFinite(v) || v === 0) return v === 0 ? 0 : v;
  return Number(v.toPrecision(digits)) + 0;
}

/**
 * An equation with parameter values in place of their names, constants to `digits` significant
 * digits and simplified (so no `- -0.42` or `1.98e-17` round-off), network calls kept. Constants
 * that simplifying folds together (`delta*(1.42)` with delta = 3.32) are rounded again, so the
 * product prints as `4.71`, not `4.7143999999999995`; monomial factors a division cancels are
 * taken out (`1.86*r*r/(r*r)` prints as `1.86`).
 */
export function equationWithNumbers(
  text: string,
  values: Readonly<Record<string, number>>,
  digits: number,
): Expression {
  const e = parseExpression(text, { functions: 'any' });
  const by: Record<string, ExprNode> = {};
  for (const name of variablesOf(e.root)) {
    const v = values[name];
    if (v !== undefined) by[name] = constant(roundTo(v, digits));
  }
  return roundedConstants(cancelMonomials(simplify(new Expression(substituteVariables(e.root, by)))), digits);
}

/** Every constant of `e` to `digits` significant digits (integers such as exponents stay as they are). */
export function roundedConstants(e: Expression, digits: number): Expression {
  return new Expression(
    withConstants(
      e.root,
      constantsOf(e.root).map((v) => roundTo(v, digits)),
    ),
  );
}

/**
 * Digits the data supports: one more than the order of the relative noise, from 2 to 4
 * (2 % noise: 3 significant digits).
 */
export function supportedDigits(relativeNoise: number): number {
  if (!(relativeNoise > 0)) return 4;
  return Math.min(4, Math.max(2, Math.ceil(-Math.log10(relativeNoise)) + 1));
}

/**
 * A message with every long number (more than `digits` significant digits, e.g. a loss printed
 * as `0.0028419827576726675`) written to `digits` significant digits; short numbers, integers
 * and numbers inside identifiers are left alone.
 *
 * @example
 * ```ts
 * import { tidyNumbers } from './numbers.js';
 * const s = tidyNumbers('completed 300 steps; final loss 0.0028419827576726675 (NN1_c0 = -0.90123456).');
 * if (s !== 'completed 300 steps; final loss 0.002842 (NN1_c0 = -0.9012).') throw new Error(s);
 * ```
 */
export function tidyNumbers(message: string, digits = 4): string {
  return message.replace(/(?<![\w.])(\d+\.\d+)(e[-+]?\d+)?(?!\w|\.\d)/g, (text, mantissa: string) => {
    const sig = mantissa.replace('.', '').replace(/^0+/, '').length;
    if (sig <= digits) return text;
    const v = Number(text);
    return Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : text;
  });
}

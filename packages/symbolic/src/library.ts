import { Expression } from './expression.js';
import { binary, constant, type ExprNode, variable } from './node.js';
import { parseExpression } from './parse.js';

/** A library of candidate terms θ_j for sparse regression (SINDy's feature library). */
export interface TermLibrary {
  /** The candidate terms for the given (sorted) variable names. */
  terms(variables: readonly string[]): Expression[];
}

/** Options of {@link polynomialLibrary}. */
export interface PolynomialLibraryOptions {
  /** Maximum total degree (≥ 1). */
  readonly degree: number;
  /** Include the constant term `1` (default true). */
  readonly includeBias?: boolean;
}

/**
 * All monomials of the variables up to total degree `degree`, e.g. for `x, y` and degree 2:
 * `1, x, y, x^2, x*y, y^2` (degree-major, then lexicographic), as PySINDy's `PolynomialLibrary`.
 *
 * @throws Error when `degree` is not a positive integer.
 * @example
 * ```ts
 * import { polynomialLibrary } from '@odekit/symbolic';
 * const names = polynomialLibrary({ degree: 2 }).terms(['x', 'y']).map(String);
 * if (names.join(', ') !== '1, x, y, x^2, x*y, y^2') throw new Error(names.join(', '));
 * ```
 */
export function polynomialLibrary(options: PolynomialLibraryOptions): TermLibrary {
  const { degree, includeBias = true } = options;
  if (!Number.isInteger(degree) || degree < 1) {
    throw new Error(`polynomialLibrary: 'degree' must be a positive integer, got ${degree}; pass e.g. { degree: 3 }.`);
  }
  return {
    terms(variables) {
      const out: Expression[] = includeBias ? [new Expression(constant(1))] : [];
      const rec = (d: number, start: number, powers: number[]): void => {
        if (d === 0) {
          const factors: ExprNode[] = [];
          powers.forEach((p, i) => {
            if (p === 0) return;
            const v = variable(variables[i] as string);
            factors.push(p === 1 ? v : binary('^', v, constant(p)));
          });
          const node = factors.reduce((a, f) => binary('*', a, f));
          out.push(new Expression(node));
          return;
        }
        for (let i = start; i < variables.length; i++) {
          const next = powers.slice();
          next[i] = (next[i] ?? 0) + 1;
          rec(d - 1, i, next);
        }
      };
      for (let d = 1; d <= degree; d++) rec(d, 0, new Array<number>(variables.length).fill(0));
      return out;
    },
  };
}

/**
 * A library of your own terms, given as expressions or strings (`['1', 'x', 'sin(x)', 'x*y']`).
 *
 * @throws ExpressionSyntaxError when a string does not parse.
 * @example
 * ```ts
 * import { customLibrary } from '@odekit/symbolic';
 * const terms = customLibrary(['1', 'x', 'exp(-y)']).terms(['x', 'y']);
 * if (terms.length !== 3 || terms[2]?.toString() !== 'exp(-y)') throw new Error('bad');
 * ```
 */
export function customLibrary(terms: readonly (Expression | string)[]): TermLibrary {
  const parsed = terms.map((t) => (typeof t === 'string' ? parseExpression(t) : t));
  return { terms: () => parsed.slice() };
}

/**
 * Concatenates libraries (e.g. polynomials plus a few custom terms), dropping duplicates.
 *
 * @example
 * ```ts
 * import { combineLibraries, customLibrary, polynomialLibrary } from '@odekit/symbolic';
 * const lib = combineLibraries(polynomialLibrary({ degree: 1 }), customLibrary(['x', 'sin(x)']));
 * if (lib.terms(['x']).map(String).join() !== '1,x,sin(x)') throw new Error('bad');
 * ```
 */
export function combineLibraries(...libraries: readonly TermLibrary[]): TermLibrary {
  return {
    terms(variables) {
      const seen = new Set<string>();
      return libraries
        .flatMap((l) => l.terms(variables))
        .filter((t) => {
          const k = t.toString();
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
    },
  };
}

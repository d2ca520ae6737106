import { binary, constant, Expression, type ExprNode, simplify, variable } from '@odekit/symbolic';

/** A polynomial: monomial key (`c^2*r^1`, '' for the constant) → coefficient. */
type Poly = Map<string, number>;

const key = (powers: ReadonlyMap<string, number>): string =>
  [...powers]
    .filter(([, p]) => p !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([v, p]) => `${v}^${p}`)
    .join('*');

const powersOf = (k: string): Map<string, number> =>
  new Map(
    k === ''
      ? []
      : k.split('*').map((f) => {
          const [v, p] = f.split('^');
          return [v as string, Number(p)];
        }),
  );

function add(a: Poly, b: Poly, sign: number): Poly {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + sign * v);
  return out;
}

function mul(a: Poly, b: Poly): Poly {
  const out: Poly = new Map();
  for (const [ka, va] of a)
    for (const [kb, vb] of b) {
      const p = powersOf(ka);
      for (const [v, e] of powersOf(kb)) p.set(v, (p.get(v) ?? 0) + e);
      const k = key(p);
      out.set(k, (out.get(k) ?? 0) + va * vb);
    }
  return out;
}

/**
 * The tree as a polynomial, or undefined when it is not one (a division by a variable, a function, a
 * non-integer power). With `laurent`, a division by a single monomial is one too (its powers
 * subtracted, negative ones allowed): `c*r/c` → `r`.
 */
function toPoly(n: ExprNode, laurent = false): Poly | undefined {
  switch (n.kind) {
    case 'const':
      return new Map([['', n.value]]);
    case 'var':
      return new Map([[`${n.name}^1`, 1]]);
    case 'unary': {
      if (n.op !== 'neg') return undefined;
      const a = toPoly(n.arg, laurent);
      return a && new Map([...a].map(([k, v]) => [k, -v]));
    }
    case 'binary': {
      const a = toPoly(n.left, laurent);
      if (a === undefined) return undefined;
      if (n.op === '^') {
        if (n.right.kind !== 'const' || !Number.isInteger(n.right.value) || n.right.value < 0 || n.right.value > 6)
          return undefined;
        let out: Poly = new Map([['', 1]]);
        for (let i = 0; i < n.right.value; i++) out = mul(out, a);
        return out;
      }
      const b = toPoly(n.right, laurent);
      if (b === undefined) return undefined;
      if (n.op === '+') return add(a, b, 1);
      if (n.op === '-') return add(a, b, -1);
      if (n.op === '*') return mul(a, b);
      if (n.op === '/') {
        const only = b.size === 1 ? b.get('') : undefined;
        if (only !== undefined && only !== 0) return new Map([...a].map(([k, v]) => [k, v / only]));
        const [monomial] = b;
        if (!laurent || b.size !== 1 || monomial === undefined || monomial[1] === 0) return undefined;
        const inverse = new Map([...powersOf(monomial[0])].map(([v, e]) => [v, -e]));
        return mul(a, new Map([[key(inverse), 1 / monomial[1]]]));
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * A polynomial written in factored or nested form as a sum of monomials (`(0.481 - 0.0998*c)*c*(c + 1.82)`
 * → `0.875*c + 0.299*c^2 - 0.0998*c^3`), so that a term proportional to a known term of the
 * equation (here `c`, beside `-gamma*c`) can be told apart and left to the physics. Undefined when
 * the expression is not a polynomial in its variables (integer powers up to 6).
 *
 * @example
 * ```ts
 * import { parseExpression } from '@odekit/symbolic';
 * import { expandPolynomial } from './expand-polynomial.js';
 * const e = expandPolynomial(parseExpression('(2 - c)*c*(c + 1)'));
 * if (e?.toString() !== '2*c + c^2 - c^3' && e?.evaluate({ c: Float64Array.of(2) })[0] !== 0) throw new Error(String(e));
 * ```
 */
export function expandPolynomial(e: Expression): Expression | undefined {
  const p = toPoly(e.root);
  return p === undefined ? undefined : fromPoly(p);
}

/**
 * `e` with the monomial factors that a division cancels taken out (`1.86*r*r/(r*r)` → `1.86`,
 * `0.114*c*r/c` → `0.114*r`, `(0.09*r/c + 0.6)*c` → `0.6*c + 0.09*r`), when that leaves a
 * polynomial smaller than `e`; otherwise `e` itself. @odekit/symbolic's `simplify` does not cancel
 * such factors, and a constant written with variables in it passes for a function of them.
 *
 * @example
 * ```ts
 * import { parseExpression } from '@odekit/symbolic';
 * import { cancelMonomials } from './expand-polynomial.js';
 * const e = cancelMonomials(parseExpression('1.86*r*r/(r*r)'));
 * if (e.toString() !== '1.86') throw new Error(e.toString());
 * ```
 */
export function cancelMonomials(e: Expression): Expression {
  const p = toPoly(e.root, true);
  if (p === undefined || [...p.keys()].some((k) => [...powersOf(k).values()].some((x) => x < 0))) return e;
  const out = fromPoly(p);
  return out.complexity < e.complexity ? out : e;
}

function fromPoly(p: Poly): Expression {
  let out: ExprNode | undefined;
  const terms = [...p].filter(([, v]) => v !== 0).sort(([a], [b]) => degree(a) - degree(b) || (a < b ? -1 : 1));
  for (const [k, v] of terms) {
    let m: ExprNode | undefined;
    for (const [name, pow] of powersOf(k)) {
      const f = pow === 1 ? variable(name) : binary('^', variable(name), constant(pow));
      m = m === undefined ? f : binary('*', m, f);
    }
    const term = m === undefined ? constant(v) : v === 1 ? m : binary('*', constant(v), m);
    out = out === undefined ? term : binary('+', out, term);
  }
  return simplify(new Expression(out ?? constant(0)));
}

const degree = (k: string): number => [...powersOf(k).values()].reduce((a, b) => a + b, 0);

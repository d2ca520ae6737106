import { Expression } from './expression.js';
import { binaryScalar, unaryScalar } from './kernels.js';
import { binary, call, constant, type ExprNode, unary } from './node.js';
import type { OpName } from './operators.js';
import { printNode } from './print.js';

/** Options of {@link simplify}. */
export interface SimplifyOptions {
  /**
   * Operators the result may use. When given, rewrites that would introduce an operator outside
   * this set (e.g. `neg` from `0 - x`) are skipped; the search passes its operator set here.
   */
  readonly operators?: Iterable<OpName>;
}

interface Ctx {
  readonly can: (op: OpName) => boolean;
}
interface Product {
  coef: number;
  num: ExprNode[];
  den: ExprNode[];
}

const isConst = (n: ExprNode, v?: number): n is ExprNode & { kind: 'const' } =>
  n.kind === 'const' && (v === undefined || n.value === v);
const byKey = (a: ExprNode, b: ExprNode): number => {
  const ka = printNode(a);
  const kb = printNode(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

function collectProduct(n: ExprNode, inDen: boolean, acc: Product): void {
  if (n.kind === 'binary' && (n.op === '*' || n.op === '/')) {
    collectProduct(n.left, inDen, acc);
    collectProduct(n.right, n.op === '/' ? !inDen : inDen, acc);
  } else if (n.kind === 'unary' && n.op === 'neg') {
    acc.coef = -acc.coef;
    collectProduct(n.arg, inDen, acc);
  } else if (n.kind === 'const') {
    acc.coef = inDen ? acc.coef / n.value : acc.coef * n.value;
  } else (inDen ? acc.den : acc.num).push(n);
}

const chain = (op: '*' | '+', xs: ExprNode[]): ExprNode | undefined =>
  xs.reduce<ExprNode | undefined>((a, x) => (a === undefined ? x : binary(op, a, x)), undefined);

function buildProduct({ coef, num, den }: Product, ctx: Ctx): ExprNode {
  if (coef === 0 || !Number.isFinite(coef)) return constant(coef === 0 ? 0 : coef);
  num.sort(byKey);
  den.sort(byKey);
  let top: ExprNode;
  const head = num[0];
  const rest = chain('*', num);
  if (head === undefined || rest === undefined) top = constant(coef);
  else if (coef === 1) top = rest;
  else if (coef === -1 && ctx.can('neg')) top = chain('*', [unary('neg', head), ...num.slice(1)]) as ExprNode;
  else if (den.length === 0 && ctx.can('/') && Number.isInteger(1 / coef) && String(coef).length > 6) {
    return binary('/', rest, constant(1 / coef));
  } else top = chain('*', [constant(coef), ...num]) as ExprNode;
  const bottom = chain('*', den);
  return bottom === undefined ? top : binary('/', top, bottom);
}

function productOf(n: ExprNode): Product {
  const acc: Product = { coef: 1, num: [], den: [] };
  collectProduct(n, false, acc);
  return acc;
}

function collectSum(n: ExprNode, sign: number, terms: Map<string, { coef: number; rest: ExprNode }>, k: { c: number }) {
  if (n.kind === 'binary' && (n.op === '+' || n.op === '-')) {
    collectSum(n.left, sign, terms, k);
    collectSum(n.right, n.op === '-' ? -sign : sign, terms, k);
  } else if (n.kind === 'unary' && n.op === 'neg') collectSum(n.arg, -sign, terms, k);
  else if (n.kind === 'const') k.c += sign * n.value;
  else {
    const p = productOf(n);
    const rest = buildProduct({ coef: 1, num: p.num, den: p.den }, { can: () => true });
    const key = printNode(rest);
    const t = terms.get(key);
    if (t) t.coef += sign * p.coef;
    else terms.set(key, { coef: sign * p.coef, rest });
  }
}

function buildSum(n: ExprNode, ctx: Ctx): ExprNode {
  const terms = new Map<string, { coef: number; rest: ExprNode }>();
  const k = { c: 0 };
  collectSum(n, 1, terms, k);
  const list = [...terms.entries()]
    .filter(([, t]) => t.coef !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => t);
  const mag = (t: { coef: number; rest: ExprNode }, c: number) => buildProduct({ ...productOf(t.rest), coef: c }, ctx);
  const firstPos = list.findIndex((t) => t.coef > 0);
  let acc: ExprNode | undefined;
  if (firstPos >= 0) {
    const [t] = list.splice(firstPos, 1);
    if (t) acc = mag(t, t.coef);
  } else if (k.c > 0 && list.length > 0) {
    acc = constant(k.c);
    k.c = 0;
  } else if (list.length > 0) {
    const t = list.shift();
    if (t) acc = mag(t, t.coef);
  }
  for (const t of list)
    acc = acc === undefined ? mag(t, t.coef) : binary(t.coef > 0 ? '+' : '-', acc, mag(t, Math.abs(t.coef)));
  if (acc === undefined) return constant(k.c);
  if (k.c === 0) return acc;
  return k.c > 0 || !ctx.can('-') ? binary('+', acc, constant(k.c)) : binary('-', acc, constant(-k.c));
}

function simp(n: ExprNode, ctx: Ctx): ExprNode {
  switch (n.kind) {
    case 'const':
    case 'var':
      return n;
    case 'unary': {
      const a = simp(n.arg, ctx);
      if (a.kind === 'const') {
        const v = unaryScalar(n.op, a.value);
        if (Number.isFinite(v)) return constant(v);
      }
      if (n.op === 'neg' && a.kind === 'unary' && a.op === 'neg') return a.arg;
      if (n.op === 'neg' && (a.kind === 'binary' || a.kind === 'var')) return buildSum(unary('neg', a), ctx);
      return a === n.arg ? n : unary(n.op, a);
    }
    case 'call': {
      const args = n.args.map((a) => simp(a, ctx));
      return args.every((a, i) => a === n.args[i]) ? n : call(n.name, args);
    }
    case 'binary': {
      const l = simp(n.left, ctx);
      const r = simp(n.right, ctx);
      if (l.kind === 'const' && r.kind === 'const') {
        const v = binaryScalar(n.op, l.value, r.value);
        if (Number.isFinite(v)) return constant(v);
      }
      const m = l === n.left && r === n.right ? n : binary(n.op, l, r);
      switch (n.op) {
        case '+':
        case '-':
          return buildSum(m, ctx);
        case '*':
        case '/':
          if (isConst(l, 0) || (n.op === '*' && isConst(r, 0))) return constant(0);
          return buildProduct(productOf(m), ctx);
        case '^':
          if (isConst(r, 1)) return l;
          if (isConst(r, 0)) return constant(1);
          return m;
      }
    }
  }
}

/**
 * Simplifies a tree without changing its value (up to rounding, and except where the input is
 * NaN or infinite: `x*0` becomes `0`): constant folding, neutral elements (`x + 0`, `x*1`,
 * `x^1`, `x^0`), double negation, collecting constants and like terms in sums (`x + 2*x` →
 * `3*x`) and products (`2*(3*x)` → `6*x`), and a canonical order (terms and factors sorted by
 * their printed form, coefficients first, constants last in sums). In the spirit of the
 * simplification step of SymbolicRegression.jl (Cranmer 2023, arXiv:2305.01582).
 *
 * @throws never (non-finite folds are left unfolded).
 * @example
 * ```ts
 * import { parseExpression, simplify } from '@odekit/symbolic';
 * const s = simplify(parseExpression('2 + y*x*1 + 0*z - (1 - x) + x'));
 * if (s.toString() !== '2*x + x*y + 1') throw new Error(s.toString());
 * ```
 */
export function simplify(expr: Expression, options?: SimplifyOptions): Expression;
export function simplify(expr: ExprNode, options?: SimplifyOptions): ExprNode;
export function simplify(expr: Expression | ExprNode, options: SimplifyOptions = {}): Expression | ExprNode {
  const { operators } = options;
  const allowed = operators === undefined || operators instanceof Set ? operators : new Set<OpName>(operators);
  const ctx: Ctx = { can: (op) => allowed === undefined || (allowed as ReadonlySet<OpName>).has(op) };
  if (expr instanceof Expression) return new Expression(simp(expr.root, ctx));
  return simp(expr, ctx);
}

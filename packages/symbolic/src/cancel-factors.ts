import { binary, constant, type ExprNode, unary, variablesOf } from './node.js';

/** `n / v` when every additive term of `n` has the variable `v` as a factor, else undefined. */
function factorOut(v: string, n: ExprNode): ExprNode | undefined {
  switch (n.kind) {
    case 'var':
      return n.name === v ? constant(1) : undefined;
    case 'unary':
      if (n.op !== 'neg') return undefined;
      return ((a) => (a === undefined ? undefined : unary('neg', a)))(factorOut(v, n.arg));
    case 'binary': {
      if (n.op === '+' || n.op === '-') {
        const l = factorOut(v, n.left);
        const r = l === undefined ? undefined : factorOut(v, n.right);
        return l === undefined || r === undefined ? undefined : binary(n.op, l, r);
      }
      if (n.op === '*') {
        const l = factorOut(v, n.left);
        if (l !== undefined) return binary('*', l, n.right);
        const r = factorOut(v, n.right);
        return r === undefined ? undefined : binary('*', n.left, r);
      }
      if (n.op === '/') {
        const l = factorOut(v, n.left);
        return l === undefined ? undefined : binary('/', l, n.right);
      }
      // v^k with a constant k > 1: v^(k − 1)
      if (n.op === '^' && n.left.kind === 'var' && n.left.name === v && n.right.kind === 'const' && n.right.value > 1) {
        const k = n.right.value - 1;
        return k === 1 ? n.left : binary('^', n.left, constant(k));
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Cancels a variable that is a factor of every term of both the numerator and the denominator of a
 * quotient: `(4 + 3x − x² − y)·x·x/(x + x·x)` → `(4 + 3x − x² − y)·x/(1 + x)` (equal wherever the
 * variable is not 0). The search builds such ratios by mutation, and a simplifier that folds
 * constants and like terms leaves them; they are bigger than the model they equal. Returns `n`
 * itself when nothing cancels.
 *
 * @example
 * ```ts
 * import { cancelCommonFactors, Expression, parseExpression, simplify } from '@odekit/symbolic';
 * const t = cancelCommonFactors(parseExpression('x*x/(x + x*x)').root);
 * if (simplify(new Expression(t)).toString() !== 'x/(x + 1)') throw new Error(new Expression(t).toString());
 * ```
 */
export function cancelCommonFactors(n: ExprNode): ExprNode {
  switch (n.kind) {
    case 'unary': {
      const a = cancelCommonFactors(n.arg);
      return a === n.arg ? n : unary(n.op, a);
    }
    case 'binary': {
      let l = cancelCommonFactors(n.left);
      let r = cancelCommonFactors(n.right);
      if (n.op === '/') {
        for (const v of variablesOf(r)) {
          for (let k = 0; k < 8; k++) {
            const l2 = factorOut(v, l);
            const r2 = l2 === undefined ? undefined : factorOut(v, r);
            if (l2 === undefined || r2 === undefined) break;
            l = l2;
            r = r2;
          }
        }
      }
      return l === n.left && r === n.right ? n : binary(n.op, l, r);
    }
    default:
      return n;
  }
}

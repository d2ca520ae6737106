import type { ExprNode } from './node.js';
import type { OpName } from './operators.js';

/** How complexity is counted (PySR's `complexity_of_operators`, `complexity_of_constants`, `complexity_of_variables`). */
export interface ComplexityOptions {
  /** Per-operator complexity; operators not listed count 1. */
  readonly complexityOfOperators?: Readonly<Partial<Record<OpName, number>>>;
  /** Complexity of a constant leaf (default 1). */
  readonly complexityOfConstants?: number;
  /** Complexity of a variable leaf (default 1). */
  readonly complexityOfVariables?: number;
}

/**
 * Complexity of a tree: the sum over its nodes of their complexities (1 each by default, so the
 * default complexity is the node count, as in PySR).
 *
 * @example
 * ```ts
 * import { nodeComplexity, parseExpression } from '@odekit/symbolic';
 * const { root } = parseExpression('exp(x)*2');
 * if (nodeComplexity(root) !== 4 || nodeComplexity(root, { complexityOfOperators: { exp: 3 } }) !== 6) throw new Error('bad');
 * ```
 */
export function nodeComplexity(node: ExprNode, options: ComplexityOptions = {}): number {
  const { complexityOfOperators, complexityOfConstants = 1, complexityOfVariables = 1 } = options;
  const ops = complexityOfOperators ?? {};
  if (complexityOfConstants === 1 && complexityOfVariables === 1 && Object.keys(ops).length === 0) return count(node);
  return weighted(node, ops, complexityOfConstants, complexityOfVariables);
}

function count(n: ExprNode): number {
  if (n.kind === 'unary') return 1 + count(n.arg);
  if (n.kind === 'binary') return 1 + count(n.left) + count(n.right);
  if (n.kind === 'call') return n.args.reduce((acc, a) => acc + count(a), 1);
  return 1;
}

function weighted(n: ExprNode, ops: Readonly<Partial<Record<OpName, number>>>, c: number, v: number): number {
  switch (n.kind) {
    case 'const':
      return c;
    case 'var':
      return v;
    case 'unary':
      return (ops[n.op] ?? 1) + weighted(n.arg, ops, c, v);
    case 'binary':
      return (ops[n.op] ?? 1) + weighted(n.left, ops, c, v) + weighted(n.right, ops, c, v);
    case 'call':
      return n.args.reduce((acc, a) => acc + weighted(a, ops, c, v), 1);
  }
}

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
 */
export function nodeComplexity(node: ExprNode, options: ComplexityOptions = {}): number {
  const { complexityOfOperators = {}, complexityOfConstants = 1, complexityOfVariables = 1 } = options;
  const visit = (n: ExprNode): number => {
    switch (n.kind) {
      case 'const':
        return complexityOfConstants;
      case 'var':
        return complexityOfVariables;
      case 'unary':
        return (complexityOfOperators[n.op] ?? 1) + visit(n.arg);
      case 'binary':
        return (complexityOfOperators[n.op] ?? 1) + visit(n.left) + visit(n.right);
    }
  };
  return visit(node);
}

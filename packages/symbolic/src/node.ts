import type { BinaryOpName, UnaryOpName } from './operators.js';

/** A constant leaf. */
export interface ConstNode {
  readonly kind: 'const';
  readonly value: number;
}
/** A variable leaf. */
export interface VarNode {
  readonly kind: 'var';
  readonly name: string;
}
/** A unary operator node. */
export interface UnaryNode {
  readonly kind: 'unary';
  readonly op: UnaryOpName;
  readonly arg: ExprNode;
}
/** A binary operator node. */
export interface BinaryNode {
  readonly kind: 'binary';
  readonly op: BinaryOpName;
  readonly left: ExprNode;
  readonly right: ExprNode;
}
/** An immutable expression tree node (frozen plain data; share subtrees freely). */
export type ExprNode = ConstNode | VarNode | UnaryNode | BinaryNode;

/**
 * Makes a constant leaf. The node constructors build frozen trees for {@link Expression}.
 *
 * @example
 * ```ts
 * import { Expression, binary, constant, unary, variable } from '@odekit/symbolic';
 * const e = new Expression(binary('*', constant(1.5), unary('exp', variable('x'))));
 * if (e.toString() !== '1.5*exp(x)') throw new Error(e.toString());
 * ```
 */
export function constant(value: number): ConstNode {
  return Object.freeze({ kind: 'const', value });
}

/** Makes a variable leaf (see {@link constant} for an example). */
export function variable(name: string): VarNode {
  return Object.freeze({ kind: 'var', name });
}

/** Makes a unary node (see {@link constant} for an example). */
export function unary(op: UnaryOpName, arg: ExprNode): UnaryNode {
  return Object.freeze({ kind: 'unary', op, arg });
}

/** Makes a binary node (see {@link constant} for an example). */
export function binary(op: BinaryOpName, left: ExprNode, right: ExprNode): BinaryNode {
  return Object.freeze({ kind: 'binary', op, left, right });
}

/**
 * Number of nodes of the tree.
 *
 * @example
 * ```ts
 * import { nodeCount, parseExpression, treeDepth } from '@odekit/symbolic';
 * const { root } = parseExpression('x*y + 2');
 * if (nodeCount(root) !== 5 || treeDepth(root) !== 3) throw new Error('bad');
 * ```
 */
export function nodeCount(node: ExprNode): number {
  switch (node.kind) {
    case 'const':
    case 'var':
      return 1;
    case 'unary':
      return 1 + nodeCount(node.arg);
    case 'binary':
      return 1 + nodeCount(node.left) + nodeCount(node.right);
  }
}

/** Depth of the tree (a leaf has depth 1); see {@link nodeCount} for an example. */
export function treeDepth(node: ExprNode): number {
  switch (node.kind) {
    case 'const':
    case 'var':
      return 1;
    case 'unary':
      return 1 + treeDepth(node.arg);
    case 'binary':
      return 1 + Math.max(treeDepth(node.left), treeDepth(node.right));
  }
}

/**
 * Structural equality (constants compared with `Object.is`, so `NaN` equals `NaN`).
 *
 * @example
 * ```ts
 * import { nodeEquals, parseExpression } from '@odekit/symbolic';
 * if (!nodeEquals(parseExpression('x + (y)').root, parseExpression('x+y').root)) throw new Error('bad');
 * if (nodeEquals(parseExpression('x + y').root, parseExpression('y + x').root)) throw new Error('bad');
 * ```
 */
export function nodeEquals(a: ExprNode, b: ExprNode): boolean {
  if (a === b) return true;
  switch (a.kind) {
    case 'const':
      return b.kind === 'const' && Object.is(a.value, b.value);
    case 'var':
      return b.kind === 'var' && a.name === b.name;
    case 'unary':
      return b.kind === 'unary' && a.op === b.op && nodeEquals(a.arg, b.arg);
    case 'binary':
      return b.kind === 'binary' && a.op === b.op && nodeEquals(a.left, b.left) && nodeEquals(a.right, b.right);
  }
}

/**
 * Sorted, distinct variable names used by the tree.
 *
 * @example
 * ```ts
 * import { constantsOf, parseExpression, variablesOf } from '@odekit/symbolic';
 * const { root } = parseExpression('2*y + x*y - 0.5');
 * if (variablesOf(root).join() !== 'x,y' || constantsOf(root).join() !== '2,0.5') throw new Error('bad');
 * ```
 */
export function variablesOf(node: ExprNode): string[] {
  const out = new Set<string>();
  const visit = (n: ExprNode): void => {
    if (n.kind === 'var') out.add(n.name);
    else if (n.kind === 'unary') visit(n.arg);
    else if (n.kind === 'binary') {
      visit(n.left);
      visit(n.right);
    }
  };
  visit(node);
  return [...out].sort();
}

/** Constant values in pre-order (node, then left, then right); see {@link variablesOf} for an example. */
export function constantsOf(node: ExprNode): number[] {
  const out: number[] = [];
  const visit = (n: ExprNode): void => {
    if (n.kind === 'const') out.push(n.value);
    else if (n.kind === 'unary') visit(n.arg);
    else if (n.kind === 'binary') {
      visit(n.left);
      visit(n.right);
    }
  };
  visit(node);
  return out;
}

/**
 * A copy of the tree with its constants replaced, in pre-order, by `values` (unchanged subtrees are shared).
 *
 * @throws Error when `values` does not hold one value per constant.
 * @example
 * ```ts
 * import { Expression, parseExpression, withConstants } from '@odekit/symbolic';
 * const e = new Expression(withConstants(parseExpression('2*x + 1').root, [3, -4]));
 * if (e.toString() !== '3*x + -4') throw new Error(e.toString());
 * ```
 */
export function withConstants(node: ExprNode, values: ArrayLike<number>): ExprNode {
  let i = 0;
  const visit = (n: ExprNode): ExprNode => {
    switch (n.kind) {
      case 'const': {
        const v = values[i++] as number;
        return Object.is(v, n.value) ? n : constant(v);
      }
      case 'var':
        return n;
      case 'unary': {
        const a = visit(n.arg);
        return a === n.arg ? n : unary(n.op, a);
      }
      case 'binary': {
        const l = visit(n.left);
        const r = visit(n.right);
        return l === n.left && r === n.right ? n : binary(n.op, l, r);
      }
    }
  };
  const out = visit(node);
  if (i !== values.length) {
    throw new Error(
      `withConstants: the tree has ${i} constants but 'values' has ${values.length}; pass one per constant.`,
    );
  }
  return out;
}

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
/**
 * A call of a declared function, e.g. a network `NN(r, c)` inside a model written as equations.
 * The search never builds these; parse them with `parseExpression(src, { functions })`.
 */
export interface CallNode {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly ExprNode[];
}
/** An immutable expression tree node (frozen plain data; share subtrees freely). */
export type ExprNode = ConstNode | VarNode | UnaryNode | BinaryNode | CallNode;

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
 * Makes a call of a declared function (see {@link CallNode}).
 *
 * @example
 * ```ts
 * import { Expression, call, variable } from '@odekit/symbolic';
 * const e = new Expression(call('NN', [variable('r'), variable('c')]));
 * if (e.toString() !== 'NN(r, c)') throw new Error(e.toString());
 * ```
 */
export function call(name: string, args: readonly ExprNode[]): CallNode {
  return Object.freeze({ kind: 'call', name, args: Object.freeze([...args]) });
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
    case 'call':
      return node.args.reduce((acc, a) => acc + nodeCount(a), 1);
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
    case 'call':
      return 1 + node.args.reduce((acc, a) => Math.max(acc, treeDepth(a)), 0);
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
    case 'call':
      return (
        b.kind === 'call' &&
        a.name === b.name &&
        a.args.length === b.args.length &&
        a.args.every((x, i) => nodeEquals(x, b.args[i] as ExprNode))
      );
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
    } else if (n.kind === 'call') n.args.forEach(visit);
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
    } else if (n.kind === 'call') n.args.forEach(visit);
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
      case 'call': {
        const args = n.args.map(visit);
        return args.every((a, j) => a === n.args[j]) ? n : call(n.name, args);
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

/**
 * Sorted, distinct names of the declared functions called in the tree, with their arities
 * (`NN(r, c)` gives `[['NN', 2]]`; a name called with two arities appears twice).
 *
 * @example
 * ```ts
 * import { callsOf, parseExpression } from '@odekit/symbolic';
 * const { root } = parseExpression('r*NN(r, c) + g(c)', { functions: 'any' });
 * if (JSON.stringify(callsOf(root)) !== '[["NN",2],["g",1]]') throw new Error('bad');
 * ```
 */
export function callsOf(node: ExprNode): [string, number][] {
  const out = new Map<string, [string, number]>();
  const visit = (n: ExprNode): void => {
    if (n.kind === 'unary') visit(n.arg);
    else if (n.kind === 'binary') {
      visit(n.left);
      visit(n.right);
    } else if (n.kind === 'call') {
      out.set(`${n.name}/${n.args.length}`, [n.name, n.args.length]);
      n.args.forEach(visit);
    }
  };
  visit(node);
  return [...out.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

/**
 * A copy of the tree with every call of `name` replaced by `by(args)` (e.g. a found expression
 * in place of a network call, with the call's arguments substituted for its inputs).
 *
 * @example
 * ```ts
 * import { Expression, parseExpression, replaceCalls, substituteVariables } from '@odekit/symbolic';
 * const { root } = parseExpression('r*NN(r, 2*c)', { functions: ['NN'] });
 * const found = parseExpression('0.5*x1 + x2').root;
 * const out = replaceCalls(root, 'NN', ([a, b]) => substituteVariables(found, { x1: a!, x2: b! }));
 * if (new Expression(out).toString() !== 'r*(0.5*r + 2*c)') throw new Error(new Expression(out).toString());
 * ```
 */
export function replaceCalls(node: ExprNode, name: string, by: (args: readonly ExprNode[]) => ExprNode): ExprNode {
  const visit = (n: ExprNode): ExprNode => {
    switch (n.kind) {
      case 'const':
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
      case 'call': {
        const args = n.args.map(visit);
        if (n.name === name) return by(args);
        return args.every((a, j) => a === n.args[j]) ? n : call(n.name, args);
      }
    }
  };
  return visit(node);
}

/**
 * A copy of the tree with variables replaced by subtrees (`{ x: parseExpression('2*c').root }`);
 * variables not listed stay.
 *
 * @example
 * ```ts
 * import { Expression, parseExpression, substituteVariables } from '@odekit/symbolic';
 * const out = substituteVariables(parseExpression('x^2 + y').root, { x: parseExpression('a + b').root });
 * if (new Expression(out).toString() !== '(a + b)^2 + y') throw new Error(new Expression(out).toString());
 * ```
 */
export function substituteVariables(node: ExprNode, by: Readonly<Record<string, ExprNode>>): ExprNode {
  const visit = (n: ExprNode): ExprNode => {
    switch (n.kind) {
      case 'const':
        return n;
      case 'var':
        return Object.hasOwn(by, n.name) ? (by[n.name] as ExprNode) : n;
      case 'unary': {
        const a = visit(n.arg);
        return a === n.arg ? n : unary(n.op, a);
      }
      case 'binary': {
        const l = visit(n.left);
        const r = visit(n.right);
        return l === n.left && r === n.right ? n : binary(n.op, l, r);
      }
      case 'call': {
        const args = n.args.map(visit);
        return args.every((a, j) => a === n.args[j]) ? n : call(n.name, args);
      }
    }
  };
  return visit(node);
}

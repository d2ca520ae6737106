import type { Rng } from '@odekit/core';
import { type ComplexityOptions, nodeComplexity } from './complexity.js';
import { binary, constant, type ExprNode, treeDepth, unary, variable } from './node.js';
import type { BinaryOpName, OpName, UnaryOpName } from './operators.js';
import { preorder, randomIndex, replaceAt } from './tree-edit.js';

/** What a candidate tree may contain, and how random trees are made. */
export interface TreeRules {
  readonly variables: readonly string[];
  readonly binary: readonly BinaryOpName[];
  readonly unary: readonly UnaryOpName[];
  readonly complexity: ComplexityOptions;
  readonly maxDepth: number;
  readonly constraints: Readonly<Partial<Record<OpName, number | readonly [number, number]>>>;
  readonly nestedConstraints: Readonly<Partial<Record<OpName, Readonly<Partial<Record<OpName, number>>>>>>;
}

/** Maximum number of `inner` operators on any root-to-leaf path of `n`. */
function maxNesting(n: ExprNode, inner: OpName): number {
  if (n.kind === 'const' || n.kind === 'var') return 0;
  if (n.kind === 'call') return n.args.reduce((acc, a) => Math.max(acc, maxNesting(a, inner)), 0);
  const self = n.op === inner ? 1 : 0;
  if (n.kind === 'unary') return self + maxNesting(n.arg, inner);
  return self + Math.max(maxNesting(n.left, inner), maxNesting(n.right, inner));
}

/** Whether `tree` respects maxSize, maxDepth, argument-complexity and nesting constraints. */
export function satisfiesRules(tree: ExprNode, rules: TreeRules, maxSize: number): boolean {
  if (nodeComplexity(tree, rules.complexity) > maxSize) return false;
  if (treeDepth(tree) > rules.maxDepth) return false;
  const { constraints, nestedConstraints } = rules;
  const check = (n: ExprNode): boolean => {
    if (n.kind === 'const' || n.kind === 'var') return true;
    if (n.kind === 'call') return n.args.every(check);
    const c = constraints[n.op];
    if (c !== undefined) {
      if (n.kind === 'unary') {
        const lim = typeof c === 'number' ? c : c[0];
        if (lim >= 0 && nodeComplexity(n.arg, rules.complexity) > lim) return false;
      } else if (typeof c !== 'number') {
        if (c[0] >= 0 && nodeComplexity(n.left, rules.complexity) > c[0]) return false;
        if (c[1] >= 0 && nodeComplexity(n.right, rules.complexity) > c[1]) return false;
      }
    }
    const nested = nestedConstraints[n.op];
    if (nested !== undefined) {
      const children = n.kind === 'unary' ? [n.arg] : [n.left, n.right];
      for (const [inner, max] of Object.entries(nested)) {
        if (max === undefined) continue;
        for (const ch of children) if (maxNesting(ch, inner as OpName) > max) return false;
      }
    }
    return n.kind === 'unary' ? check(n.arg) : check(n.left) && check(n.right);
  };
  return check(tree);
}

/** A random leaf: a variable or a standard-normal constant, half and half (as SymbolicRegression.jl). */
export function randomLeaf(rules: TreeRules, rng: Rng): ExprNode {
  if (rng.nextFloat() < 0.5) return constant(rng.nextNormal());
  return variable(rules.variables[Math.floor(rng.nextFloat() * rules.variables.length)] as string);
}

/** A random operator node over random leaves, unary or binary in proportion to the operator counts. */
export function randomOpNode(rules: TreeRules, rng: Rng, child?: ExprNode): ExprNode {
  const nu = rules.unary.length;
  const nb = rules.binary.length;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.nextFloat() * xs.length)] as T;
  const a = child ?? randomLeaf(rules, rng);
  if (rng.nextFloat() * (nu + nb) < nu) return unary(pick(rules.unary), a);
  const b = randomLeaf(rules, rng);
  return rng.nextFloat() < 0.5 || child === undefined
    ? binary(pick(rules.binary), a, b)
    : binary(pick(rules.binary), b, a);
}

/** Replaces a random leaf with a random operator node over random leaves (SymbolicRegression.jl's append). */
export function appendRandomOp(tree: ExprNode, rules: TreeRules, rng: Rng): ExprNode {
  const nodes = preorder(tree);
  const i = randomIndex(nodes, rng, (n) => n.kind === 'const' || n.kind === 'var');
  return replaceAt(tree, i, randomOpNode(rules, rng));
}

/** A random tree grown by `nOps` appends from a random leaf. */
export function randomTree(nOps: number, rules: TreeRules, rng: Rng): ExprNode {
  let t = randomLeaf(rules, rng);
  for (let i = 0; i < nOps; i++) t = appendRandomOp(t, rules, rng);
  return t;
}

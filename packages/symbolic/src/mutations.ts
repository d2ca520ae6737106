import { portablePow, type Rng } from '@odekit/core';
import { binary, constant, type ExprNode, unary } from './node.js';
import type { MutationWeights } from './search-options.js';
import { preorder, randomIndex, replaceAt } from './tree-edit.js';
import { appendRandomOp, randomLeaf, randomOpNode, randomTree, type TreeRules } from './tree-rules.js';

/** A mutation's name. */
export type MutationName = keyof MutationWeights;

const isLeaf = (n: ExprNode): boolean => n.kind === 'const' || n.kind === 'var';
const pick = <T>(xs: readonly T[], rng: Rng): T => xs[Math.floor(rng.nextFloat() * xs.length)] as T;

/** Multiplies a random constant by a random factor ≤ 1 + 0.1 + perturbationFactor·temperature (or its inverse); rarely negates it. */
function mutateConstant(tree: ExprNode, rng: Rng, temperature: number, factor: number, pNeg: number) {
  const nodes = preorder(tree);
  const i = randomIndex(nodes, rng, (n) => n.kind === 'const');
  const node = nodes[i];
  if (node === undefined || node.kind !== 'const') return undefined;
  const maxChange = factor * temperature + 1 + 0.1;
  const f = portablePow(maxChange, rng.nextFloat());
  let v = rng.nextFloat() < 0.5 ? node.value * f : node.value / f;
  if (rng.nextFloat() < pNeg) v = -v;
  return replaceAt(tree, i, constant(v));
}

/** Rotates the tree at a random binary node with an operator child: `a∘(b•c)` → `(a∘b)•c` or the mirror. */
function rotate(tree: ExprNode, rng: Rng): ExprNode | undefined {
  const nodes = preorder(tree);
  const i = randomIndex(
    nodes,
    rng,
    (n) => n.kind === 'binary' && (n.left.kind === 'binary' || n.right.kind === 'binary'),
  );
  const n = nodes[i];
  if (n === undefined || n.kind !== 'binary') return undefined;
  const { left: l, right: r } = n;
  const useRight = r.kind === 'binary' && (l.kind !== 'binary' || rng.nextFloat() < 0.5);
  if (useRight && r.kind === 'binary') return replaceAt(tree, i, binary(r.op, binary(n.op, l, r.left), r.right));
  if (l.kind === 'binary') return replaceAt(tree, i, binary(l.op, l.left, binary(n.op, l.right, r)));
  return undefined;
}

/**
 * Applies one structural mutation of SymbolicRegression.jl (Cranmer 2023, arXiv:2305.01582) and
 * returns the new tree, or `undefined` when it does not apply (e.g. no constant to perturb).
 * `simplify`, `optimize` and `doNothing` are handled by the caller.
 */
export function mutateTree(
  tree: ExprNode,
  kind: MutationName,
  rules: TreeRules,
  rng: Rng,
  {
    temperature,
    perturbationFactor,
    probabilityNegateConstant,
    curMaxSize,
  }: {
    temperature: number;
    perturbationFactor: number;
    probabilityNegateConstant: number;
    curMaxSize: number;
  },
): ExprNode | undefined {
  switch (kind) {
    case 'mutateConstant':
      return mutateConstant(tree, rng, temperature, perturbationFactor, probabilityNegateConstant);
    case 'mutateOperator': {
      const nodes = preorder(tree);
      const i = randomIndex(nodes, rng, (n) => !isLeaf(n));
      const n = nodes[i];
      if (n?.kind === 'unary' && rules.unary.length > 0)
        return replaceAt(tree, i, unary(pick(rules.unary, rng), n.arg));
      if (n?.kind === 'binary') return replaceAt(tree, i, binary(pick(rules.binary, rng), n.left, n.right));
      return undefined;
    }
    case 'swapOperands': {
      const nodes = preorder(tree);
      const i = randomIndex(nodes, rng, (n) => n.kind === 'binary');
      const n = nodes[i];
      return n?.kind === 'binary' ? replaceAt(tree, i, binary(n.op, n.right, n.left)) : undefined;
    }
    case 'rotateTree':
      return rotate(tree, rng);
    case 'addNode':
      return rng.nextFloat() < 0.5 ? appendRandomOp(tree, rules, rng) : randomOpNode(rules, rng, tree);
    case 'insertNode': {
      const nodes = preorder(tree);
      const i = randomIndex(nodes, rng);
      return replaceAt(tree, i, randomOpNode(rules, rng, nodes[i]));
    }
    case 'deleteNode': {
      const nodes = preorder(tree);
      const i = randomIndex(nodes, rng);
      const n = nodes[i];
      if (n === undefined) return undefined;
      if (isLeaf(n)) return replaceAt(tree, i, randomLeaf(rules, rng));
      if (n.kind === 'unary') return replaceAt(tree, i, n.arg);
      if (n.kind === 'binary') return replaceAt(tree, i, rng.nextFloat() < 0.5 ? n.left : n.right);
      return undefined;
    }
    case 'randomize':
      return randomTree(Math.floor((rng.nextFloat() * curMaxSize) / 2), rules, rng);
    default:
      return undefined;
  }
}

/** Swaps a random subtree of `a` with a random subtree of `b` (subtree crossover). */
export function crossoverTrees(a: ExprNode, b: ExprNode, rng: Rng): [ExprNode, ExprNode] {
  const na = preorder(a);
  const nb = preorder(b);
  const i = Math.floor(rng.nextFloat() * na.length);
  const j = Math.floor(rng.nextFloat() * nb.length);
  return [replaceAt(a, i, nb[j] as ExprNode), replaceAt(b, j, na[i] as ExprNode)];
}

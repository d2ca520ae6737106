import type { Rng } from '@odekit/core';
import { binary, type ExprNode, unary } from './node.js';

/** Nodes of a tree in pre-order (the indices used by {@link replaceAt}). */
export function preorder(root: ExprNode, out: ExprNode[] = []): ExprNode[] {
  out.push(root);
  if (root.kind === 'unary') preorder(root.arg, out);
  else if (root.kind === 'binary') {
    preorder(root.left, out);
    preorder(root.right, out);
  }
  return out;
}

/** A copy of `root` with the node at pre-order `index` replaced by `by` (other subtrees shared). */
export function replaceAt(root: ExprNode, index: number, by: ExprNode): ExprNode {
  let i = 0;
  const visit = (n: ExprNode): ExprNode => {
    if (i === index) {
      i += countNodes(n);
      return by;
    }
    i++;
    if (n.kind === 'unary') {
      const a = visit(n.arg);
      return a === n.arg ? n : unary(n.op, a);
    }
    if (n.kind === 'binary') {
      const l = visit(n.left);
      const r = visit(n.right);
      return l === n.left && r === n.right ? n : binary(n.op, l, r);
    }
    return n;
  };
  return visit(root);
}

function countNodes(n: ExprNode): number {
  if (n.kind === 'unary') return 1 + countNodes(n.arg);
  if (n.kind === 'binary') return 1 + countNodes(n.left) + countNodes(n.right);
  return 1;
}

/** A uniformly random pre-order index among nodes satisfying `pred`, or -1 when none does. */
export function randomIndex(nodes: readonly ExprNode[], rng: Rng, pred: (n: ExprNode) => boolean = () => true): number {
  const idx: number[] = [];
  nodes.forEach((n, i) => {
    if (pred(n)) idx.push(i);
  });
  if (idx.length === 0) return -1;
  return idx[Math.floor(rng.nextFloat() * idx.length)] as number;
}

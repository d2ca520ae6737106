import type { ExprNode } from './node.js';
import { ATOM_PRECEDENCE, BINARY_OPERATORS, NEG_PRECEDENCE } from './operators.js';

const isNegativeConst = (n: ExprNode): boolean => n.kind === 'const' && (n.value < 0 || Object.is(n.value, -0));

/** Printing precedence of a node: 1 `+ -`, 2 `* /`, 3 unary minus and negative constants, 4 `^`, 5 atoms. */
export function precedenceOf(node: ExprNode): number {
  switch (node.kind) {
    case 'const':
      return isNegativeConst(node) ? NEG_PRECEDENCE : ATOM_PRECEDENCE;
    case 'var':
      return ATOM_PRECEDENCE;
    case 'unary':
      return node.op === 'neg' ? NEG_PRECEDENCE : ATOM_PRECEDENCE;
    case 'binary':
      return BINARY_OPERATORS[node.op].precedence;
    case 'call':
      return ATOM_PRECEDENCE;
  }
}

/** Formats a number so that the parser reads back the same float64 (shortest round trip). */
export function formatNumber(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

const wrap = (s: string, yes: boolean): string => (yes ? `(${s})` : s);

/**
 * Prints a tree with the fewest parentheses that keep its structure: `parseExpression(printNode(t))`
 * gives back `t` node for node (for finite constants). `+ -` are spaced, `* / ^` are not.
 */
export function printNode(node: ExprNode): string {
  switch (node.kind) {
    case 'const':
      return formatNumber(node.value);
    case 'var':
      return node.name;
    case 'unary': {
      const inner = printNode(node.arg);
      if (node.op !== 'neg') return `${node.op}(${inner})`;
      const a = node.arg;
      const parens = (a.kind === 'const' && !isNegativeConst(a)) || precedenceOf(a) <= NEG_PRECEDENCE;
      return `-${wrap(inner, parens)}`;
    }
    case 'binary': {
      const p = BINARY_OPERATORS[node.op].precedence;
      const lp = precedenceOf(node.left);
      const rp = precedenceOf(node.right);
      const isPow = node.op === '^';
      const left = wrap(printNode(node.left), isPow ? lp <= p : lp < p);
      const right = wrap(printNode(node.right), isPow ? rp < NEG_PRECEDENCE : rp <= p);
      const sep = p === 1 ? ` ${node.op} ` : node.op;
      return `${left}${sep}${right}`;
    }
    case 'call':
      return `${node.name}(${node.args.map(printNode).join(', ')})`;
  }
}

import type { ExprNode } from './node.js';
import { NEG_PRECEDENCE, UNARY_OPERATORS } from './operators.js';
import { formatNumber, precedenceOf } from './print.js';

const paren = (s: string): string => `\\left(${s}\\right)`;

function latexNumber(value: number): string {
  const s = formatNumber(value);
  const m = /^(-?[\d.]+)e([+-]?)(\d+)$/.exec(s);
  if (!m) return s;
  return `${m[1]} \\cdot 10^{${m[2] === '-' ? '-' : ''}${m[3]}}`;
}

function latexVariable(name: string): string {
  const m = /^([A-Za-z]+)_?(\d+)$/.exec(name);
  if (m) return `${m[1]}_{${m[2]}}`;
  return name.length === 1 ? name : `\\mathrm{${name.replace(/_/g, '\\_')}}`;
}

/**
 * LaTeX for a tree: `\frac` for division, `\cdot` for products, `e^{..}` for `exp`, `\left( \right)`
 * only where the plain-text printer would put parentheses (fractions need none); a call of a
 * declared function prints as `\mathrm{NN}\left(r, c\right)`.
 */
export function latexNode(node: ExprNode): string {
  switch (node.kind) {
    case 'const':
      return latexNumber(node.value);
    case 'var':
      return latexVariable(node.name);
    case 'unary': {
      const inner = latexNode(node.arg);
      if (node.op === 'neg') {
        const parens = precedenceOf(node.arg) <= NEG_PRECEDENCE || node.arg.kind === 'const';
        return `-${parens ? paren(inner) : inner}`;
      }
      return UNARY_OPERATORS[node.op].latex(inner);
    }
    case 'binary': {
      const l = latexNode(node.left);
      const r = latexNode(node.right);
      const lp = precedenceOf(node.left);
      const rp = precedenceOf(node.right);
      switch (node.op) {
        case '/':
          return `\\frac{${l}}{${r}}`;
        case '^':
          return `${lp <= 4 || node.left.kind === 'unary' ? paren(l) : l}^{${r}}`;
        case '*':
          return `${lp < 2 ? paren(l) : l} \\cdot ${rp <= 2 ? paren(r) : r}`;
        default:
          return `${l} ${node.op} ${rp <= 1 ? paren(r) : r}`;
      }
    }
    case 'call':
      return `${latexVariable(node.name)}\\left(${node.args.map(latexNode).join(', ')}\\right)`;
  }
}

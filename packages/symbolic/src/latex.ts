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

/** Greek letter names LaTeX has a command for (`alpha` → `\alpha`, `Gamma` → `\Gamma`). */
const GREEK = new Set(
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega'.split(
    ' ',
  ),
);

function latexVariable(name: string): string {
  const letters = (s: string): string => (GREEK.has(s) ? `\\${s}` : s);
  const m = /^([A-Za-z]+)_?(\d+)$/.exec(name);
  if (m) return `${letters(m[1] as string)}_{${m[2]}}`;
  if (GREEK.has(name)) return letters(name);
  return name.length === 1 ? name : `\\mathrm{${name.replace(/_/g, '\\_')}}`;
}

/**
 * LaTeX for a tree (Greek letter names as letters: `alpha` → `\alpha`): `\frac` for division, `\cdot` for products, `e^{..}` for `exp`, `\left( \right)`
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

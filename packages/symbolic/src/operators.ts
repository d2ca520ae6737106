import { portablePow, portableTanh } from '@odekit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Names of the binary operators known to the expression context. */
export type BinaryOpName = '+' | '-' | '*' | '/' | '^';
/** Names of the unary operators known to the expression context. */
export type UnaryOpName = 'neg' | 'exp' | 'log' | 'sqrt' | 'sin' | 'cos' | 'tanh' | 'abs' | 'square' | 'cube' | 'inv';
/** Any operator name. */
export type OpName = BinaryOpName | UnaryOpName;

/** One row of the unary operator table. */
export interface UnaryOpSpec {
  readonly name: UnaryOpName;
  readonly arity: 1;
  /** Default complexity of a node with this operator. */
  readonly complexity: number;
  /** Float64 scalar evaluation (JavaScript `Math` semantics: NaN outside the domain). */
  readonly fn: (a: number) => number;
  /** The tfjs op (differentiable). */
  readonly tf: (a: tf.Tensor) => tf.Tensor;
  /** LaTeX given the argument's LaTeX. */
  readonly latex: (a: string) => string;
}

/** One row of the binary operator table. */
export interface BinaryOpSpec {
  readonly name: BinaryOpName;
  readonly arity: 2;
  readonly complexity: number;
  readonly fn: (a: number, b: number) => number;
  readonly tf: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  /** Printing precedence: 1 for `+ -`, 2 for `* /`, 4 for `^` (unary minus is 3). */
  readonly precedence: number;
  /** Whether `a op (b op c)` equals `(a op b) op c` (used by printing and simplify). */
  readonly associative: boolean;
  readonly commutative: boolean;
}

const paren = (a: string): string => `\\left(${a}\\right)`;

/**
 * The unary operator table (frozen data): name, arity, complexity, float64 function, tfjs op,
 * LaTeX. Domains follow JavaScript's `Math`: `log` and `sqrt` of negative numbers give NaN, which
 * the search turns into an infinite loss (as PySR does).
 *
 * @example
 * ```ts
 * import { BINARY_OPERATORS, UNARY_OPERATORS } from '@odekit/symbolic';
 * if (UNARY_OPERATORS.exp.fn(0) !== 1 || BINARY_OPERATORS['^'].precedence !== 4) throw new Error('bad');
 * if (!Object.isFrozen(UNARY_OPERATORS)) throw new Error('not frozen');
 * ```
 */
export const UNARY_OPERATORS: Readonly<Record<UnaryOpName, UnaryOpSpec>> = Object.freeze({
  neg: { name: 'neg', arity: 1, complexity: 1, fn: (a) => -a, tf: (a) => tf.neg(a), latex: (a) => `-${a}` },
  exp: { name: 'exp', arity: 1, complexity: 1, fn: Math.exp, tf: (a) => tf.exp(a), latex: (a) => `e^{${a}}` },
  log: { name: 'log', arity: 1, complexity: 1, fn: Math.log, tf: (a) => tf.log(a), latex: (a) => `\\log${paren(a)}` },
  sqrt: { name: 'sqrt', arity: 1, complexity: 1, fn: Math.sqrt, tf: (a) => tf.sqrt(a), latex: (a) => `\\sqrt{${a}}` },
  sin: { name: 'sin', arity: 1, complexity: 1, fn: Math.sin, tf: (a) => tf.sin(a), latex: (a) => `\\sin${paren(a)}` },
  cos: { name: 'cos', arity: 1, complexity: 1, fn: Math.cos, tf: (a) => tf.cos(a), latex: (a) => `\\cos${paren(a)}` },
  tanh: {
    name: 'tanh',
    arity: 1,
    complexity: 1,
    fn: portableTanh,
    tf: (a) => tf.tanh(a),
    latex: (a) => `\\tanh${paren(a)}`,
  },
  abs: {
    name: 'abs',
    arity: 1,
    complexity: 1,
    fn: Math.abs,
    tf: (a) => tf.abs(a),
    latex: (a) => `\\left|${a}\\right|`,
  },
  square: {
    name: 'square',
    arity: 1,
    complexity: 1,
    fn: (a) => a * a,
    tf: (a) => tf.square(a),
    latex: (a) => `${paren(a)}^{2}`,
  },
  cube: {
    name: 'cube',
    arity: 1,
    complexity: 1,
    fn: (a) => a * a * a,
    tf: (a) => tf.mul(tf.square(a), a),
    latex: (a) => `${paren(a)}^{3}`,
  },
  inv: {
    name: 'inv',
    arity: 1,
    complexity: 1,
    fn: (a) => 1 / a,
    tf: (a) => tf.reciprocal(a),
    latex: (a) => `\\frac{1}{${a}}`,
  },
});

/** The binary operator table (frozen data). `^` is `Math.pow` (NaN for a negative base and a fractional exponent); see {@link UNARY_OPERATORS}. */
export const BINARY_OPERATORS: Readonly<Record<BinaryOpName, BinaryOpSpec>> = Object.freeze({
  '+': {
    name: '+',
    arity: 2,
    complexity: 1,
    fn: (a, b) => a + b,
    tf: (a, b) => tf.add(a, b),
    precedence: 1,
    associative: true,
    commutative: true,
  },
  '-': {
    name: '-',
    arity: 2,
    complexity: 1,
    fn: (a, b) => a - b,
    tf: (a, b) => tf.sub(a, b),
    precedence: 1,
    associative: false,
    commutative: false,
  },
  '*': {
    name: '*',
    arity: 2,
    complexity: 1,
    fn: (a, b) => a * b,
    tf: (a, b) => tf.mul(a, b),
    precedence: 2,
    associative: true,
    commutative: true,
  },
  '/': {
    name: '/',
    arity: 2,
    complexity: 1,
    fn: (a, b) => a / b,
    tf: (a, b) => tf.div(a, b),
    precedence: 2,
    associative: false,
    commutative: false,
  },
  '^': {
    name: '^',
    arity: 2,
    complexity: 1,
    fn: portablePow,
    tf: (a, b) => tf.pow(a, b),
    precedence: 4,
    associative: false,
    commutative: false,
  },
});

/** Precedence of unary minus (and of negative constants) when printing. */
export const NEG_PRECEDENCE = 3;
/** Precedence of atoms (variables, non-negative constants, function calls). */
export const ATOM_PRECEDENCE = 5;

for (const spec of Object.values(UNARY_OPERATORS)) Object.freeze(spec);
for (const spec of Object.values(BINARY_OPERATORS)) Object.freeze(spec);

/**
 * Whether `name` is a known unary operator.
 *
 * @example
 * ```ts
 * import { isBinaryOp, isUnaryOp } from '@odekit/symbolic';
 * if (!isUnaryOp('sqrt') || isUnaryOp('+') || !isBinaryOp('^')) throw new Error('bad');
 * ```
 */
export function isUnaryOp(name: string): name is UnaryOpName {
  return Object.hasOwn(UNARY_OPERATORS, name);
}

/** Whether `name` is a known binary operator (see {@link isUnaryOp}). */
export function isBinaryOp(name: string): name is BinaryOpName {
  return Object.hasOwn(BINARY_OPERATORS, name);
}

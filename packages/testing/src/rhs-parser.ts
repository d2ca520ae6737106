import * as tf from '@tensorflow/tfjs-core';

/** A parsed right-hand-side expression of the reference problems. */
export type RhsNode =
  | { kind: 'num'; value: number }
  | { kind: 'var'; name: string }
  | { kind: 'neg'; arg: RhsNode }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/' | '^'; left: RhsNode; right: RhsNode }
  | { kind: 'call'; fn: RhsFunction; arg: RhsNode };

const FUNCTIONS = {
  exp: { f64: Math.exp, tf: tf.exp },
  log: { f64: Math.log, tf: tf.log },
  sin: { f64: Math.sin, tf: tf.sin },
  cos: { f64: Math.cos, tf: tf.cos },
  sqrt: { f64: Math.sqrt, tf: tf.sqrt },
  abs: { f64: Math.abs, tf: tf.abs },
} as const;

/** The functions the reference grammar allows. */
export type RhsFunction = keyof typeof FUNCTIONS;

/**
 * Parses one component of a reference problem's `rhs` (numbers, variables `y0..yN` and `t`,
 * `+ - * / ^`, parentheses, `exp log sin cos sqrt abs`; `^` is right-associative and binds
 * tighter than unary minus). A hand-written recursive-descent parser: no `eval`.
 *
 * @throws Error with the position and what was expected on malformed input.
 * @example
 * ```ts
 * import { parseRhs, evaluateRhs } from '@odekit/testing';
 * const v = evaluateRhs(parseRhs('-y0^2/2'), { y0: 3 });
 * if (v !== -4.5) throw new Error('bad');
 * ```
 */
export function parseRhs(src: string): RhsNode {
  let pos = 0;
  const fail = (expected: string): never => {
    throw new Error(
      `parseRhs: at position ${pos} of '${src}': expected ${expected}, found ${pos < src.length ? `'${src[pos]}'` : 'end of input'}`,
    );
  };
  const skip = () => {
    while (pos < src.length && /\s/.test(src[pos] as string)) pos++;
  };
  const peek = (): string => {
    skip();
    return src[pos] ?? '';
  };
  const expr = (): RhsNode => {
    let left = term();
    for (let c = peek(); c === '+' || c === '-'; c = peek()) {
      pos++;
      left = { kind: 'bin', op: c, left, right: term() };
    }
    return left;
  };
  const term = (): RhsNode => {
    let left = unary();
    for (let c = peek(); c === '*' || c === '/'; c = peek()) {
      pos++;
      left = { kind: 'bin', op: c, left, right: unary() };
    }
    return left;
  };
  const unary = (): RhsNode => {
    if (peek() === '-') {
      pos++;
      return { kind: 'neg', arg: unary() };
    }
    if (peek() === '+') {
      pos++;
      return unary();
    }
    return power();
  };
  const power = (): RhsNode => {
    const base = atom();
    if (peek() === '^') {
      pos++;
      return { kind: 'bin', op: '^', left: base, right: unary() };
    }
    return base;
  };
  const atom = (): RhsNode => {
    const c = peek();
    if (c === '(') {
      pos++;
      const inner = expr();
      if (peek() !== ')') fail("')'");
      pos++;
      return inner;
    }
    const num = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(pos));
    if (num) {
      pos += num[0].length;
      return { kind: 'num', value: Number(num[0]) };
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(pos));
    if (id) {
      pos += id[0].length;
      const name = id[0];
      if (name in FUNCTIONS) {
        if (peek() !== '(') fail(`'(' after function '${name}'`);
        pos++;
        const arg = expr();
        if (peek() !== ')') fail("')'");
        pos++;
        return { kind: 'call', fn: name as RhsFunction, arg };
      }
      return { kind: 'var', name };
    }
    return fail('a number, a variable, a function or (');
  };
  const node = expr();
  if (peek() !== '') fail('an operator or end of input');
  return node;
}

/** Evaluates a parsed expression in float64 with the variables in `env`. */
export function evaluateRhs(node: RhsNode, env: Record<string, number>): number {
  switch (node.kind) {
    case 'num':
      return node.value;
    case 'var': {
      const v = env[node.name];
      if (v === undefined) throw new Error(`evaluateRhs: unknown variable '${node.name}'; provide it in env.`);
      return v;
    }
    case 'neg':
      return -evaluateRhs(node.arg, env);
    case 'call':
      return FUNCTIONS[node.fn].f64(evaluateRhs(node.arg, env));
    case 'bin': {
      const a = evaluateRhs(node.left, env);
      const b = evaluateRhs(node.right, env);
      if (node.op === '+') return a + b;
      if (node.op === '-') return a - b;
      if (node.op === '*') return a * b;
      if (node.op === '/') return a / b;
      return a ** b; // portable-math: allow (reference fixtures, evaluated in Node only)
    }
  }
}

/** Evaluates a parsed expression with tfjs ops; `env` maps names to tensors or numbers. */
export function evaluateRhsTensor(node: RhsNode, env: Record<string, tf.Tensor | number>): tf.Tensor {
  const lift = (x: tf.Tensor | number) => (typeof x === 'number' ? tf.scalar(x) : x);
  switch (node.kind) {
    case 'num':
      return tf.scalar(node.value);
    case 'var': {
      const v = env[node.name];
      if (v === undefined) throw new Error(`evaluateRhsTensor: unknown variable '${node.name}'; provide it in env.`);
      return lift(v);
    }
    case 'neg':
      return tf.neg(evaluateRhsTensor(node.arg, env));
    case 'call':
      return FUNCTIONS[node.fn].tf(evaluateRhsTensor(node.arg, env));
    case 'bin': {
      const a = evaluateRhsTensor(node.left, env);
      const b = evaluateRhsTensor(node.right, env);
      if (node.op === '+') return tf.add(a, b);
      if (node.op === '-') return tf.sub(a, b);
      if (node.op === '*') return tf.mul(a, b);
      if (node.op === '/') return tf.div(a, b);
      // integer exponents of possibly negative bases stay real
      if (node.right.kind === 'num' && Number.isInteger(node.right.value))
        return tf.pow(a, tf.scalar(node.right.value, 'int32'));
      return tf.pow(a, b);
    }
  }
}

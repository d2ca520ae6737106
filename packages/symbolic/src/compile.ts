import * as tf from '@tensorflow/tfjs-core';
import { Expression } from './expression.js';
import { binary, call, callsOf, constant, type ExprNode, unary, variablesOf } from './node.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from './operators.js';

/** Options of {@link compileExpression}. */
export interface CompileOptions {
  /** Make the float constants trainable parameters (default true). Integer exponents always stay fixed. */
  readonly trainableConstants?: boolean;
  /**
   * Implementations of the declared functions the expression calls (`NN(r, c)`); `apply` may
   * pass others (or override these) at call time.
   */
  readonly functions?: Readonly<Record<string, CompiledFunction>>;
}

/**
 * A declared function as compiled code: gets the call's arguments (broadcast float32 tensors)
 * and returns a tensor of their broadcast shape. Runs inside `apply`'s `tf.tidy`.
 */
export type CompiledFunction = (args: readonly tf.Tensor[]) => tf.Tensor;

/** Trainable constants by name (`c0`, `c1`, ... in pre-order), each a float32 scalar. */
export type ExpressionParams = Record<string, tf.Scalar>;

/** An expression compiled to a differentiable tfjs function. */
export interface CompiledExpression {
  /** Initial values of the trainable constants (the caller owns these tensors). */
  readonly params: ExpressionParams;
  /** Names of the trainable constants, in pre-order. */
  readonly parameterNames: readonly string[];
  /** Sorted variable names `apply` needs. */
  readonly variables: readonly string[];
  /** Declared functions the expression calls, with their arities (see `callsOf`). */
  readonly calls: readonly (readonly [string, number])[];
  /**
   * Evaluates the expression: every `vars[name]` is a float32 tensor (shapes broadcast, e.g. all
   * `[batch]`); the result has the broadcast shape. Differentiable in `params` (and `vars`).
   * Borrows its inputs; the caller owns the result. `functions` implements (or overrides) the
   * declared functions called, e.g. a network whose weights come from the caller's `args`.
   */
  apply(
    params: Readonly<Record<string, tf.Tensor>>,
    vars: Readonly<Record<string, tf.Tensor>>,
    functions?: Readonly<Record<string, CompiledFunction>>,
  ): tf.Tensor;
  /**
   * The expression with the given parameter values substituted (reads them with `dataSync`; each
   * float32 becomes the shortest decimal that rounds to it).
   */
  toExpression(params: Readonly<Record<string, tf.Tensor>>): Expression;
}

/** The shortest decimal that rounds to the same float32 (so 0.9 stays 0.9, not 0.8999999761581421). */
function shortestFloat32(v: number): number {
  for (let digits = 1; digits <= 17; digits++) {
    const d = Number(v.toPrecision(digits));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

type Fns = Readonly<Record<string, CompiledFunction>>;
type Fn = (p: Readonly<Record<string, tf.Tensor>>, v: Readonly<Record<string, tf.Tensor>>, f: Fns) => tf.Tensor;

/**
 * Compiles an expression tree into a tfjs closure tree (no code generation) whose float constants
 * are trainable parameters, as PySR's PyTorch/JAX exports do: a found term can be dropped into a
 * vector field (through `args`) and refit with the solvers and `fit`. Integer exponents (`x^2`)
 * stay fixed numbers, so the power stays defined for negative bases.
 *
 * @throws Error from `apply` when a variable or a parameter is missing.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { compileExpression, parseExpression } from '@odekit/symbolic';
 * const fn = compileExpression(parseExpression('1.5*x*exp(-0.4*y) + x^2'));
 * if (fn.parameterNames.join() !== 'c0,c1') throw new Error(fn.parameterNames.join());
 * const x = tf.tensor1d([1, 2]);
 * const y = tf.tensor1d([0, 1]);
 * const out = fn.apply(fn.params, { x, y });
 * const want = [1.5 + 1, 3 * Math.exp(-0.4) + 4];
 * out.dataSync().forEach((v, i) => { if (Math.abs(v - (want[i] ?? 0)) > 1e-5) throw new Error(String(v)); });
 * tf.dispose([out, x, y, ...Object.values(fn.params)]);
 * ```
 */
export function compileExpression(expr: Expression, options: CompileOptions = {}): CompiledExpression {
  if (!(expr instanceof Expression)) {
    throw new Error("compileExpression: 'expr' must be an Expression; build one with parseExpression('...').");
  }
  const { trainableConstants = true, functions: compiledFunctions = {} } = options;
  const initial: number[] = [];
  const names: string[] = [];
  const need = (map: Readonly<Record<string, tf.Tensor>>, name: string, what: string): tf.Tensor => {
    const t = map[name];
    if (t === undefined) {
      throw new Error(
        `compiled expression: missing ${what} '${name}'; pass it in the ${what === 'variable' ? 'vars' : 'params'} object.`,
      );
    }
    return t;
  };
  const build = (n: ExprNode, isExponent: boolean): Fn => {
    switch (n.kind) {
      case 'const': {
        if (!trainableConstants || (isExponent && Number.isInteger(n.value))) {
          const v = n.value;
          return () => tf.scalar(v);
        }
        const name = `c${names.length}`;
        names.push(name);
        initial.push(n.value);
        return (p) => need(p, name, 'parameter');
      }
      case 'var': {
        const name = n.name;
        return (_p, v) => need(v, name, 'variable');
      }
      case 'unary': {
        const a = build(n.arg, false);
        const op = UNARY_OPERATORS[n.op].tf;
        return (p, v, f) => op(a(p, v, f));
      }
      case 'binary': {
        const a = build(n.left, false);
        if (n.op === '^' && n.right.kind === 'const' && Number.isInteger(n.right.value)) {
          const k = n.right.value;
          if (k === 2) return (p, v, f) => tf.square(a(p, v, f));
          return (p, v, f) => tf.pow(a(p, v, f), tf.scalar(k));
        }
        const b = build(n.right, n.op === '^');
        const op = BINARY_OPERATORS[n.op].tf;
        return (p, v, f) => op(a(p, v, f), b(p, v, f));
      }
      case 'call': {
        const args = n.args.map((a) => build(a, false));
        const name = n.name;
        return (p, v, f) => {
          const impl = f[name];
          if (impl === undefined) {
            throw new Error(
              `compiled expression: no implementation of the function '${name}'; pass it in 'functions' (compileExpression's options or apply's third argument).`,
            );
          }
          return impl(args.map((a) => a(p, v, f)));
        };
      }
    }
  };
  const root = build(expr.root, false);
  const params: ExpressionParams = {};
  names.forEach((name, i) => {
    params[name] = tf.scalar(initial[i] as number);
  });
  const fixedParams = trainableConstants;
  return {
    params,
    parameterNames: names,
    variables: variablesOf(expr.root),
    calls: callsOf(expr.root),
    apply: (p, v, f) => tf.tidy(() => root(p, v, f === undefined ? compiledFunctions : { ...compiledFunctions, ...f })),
    toExpression(p) {
      let i = 0;
      const sub = (n: ExprNode, isExponent: boolean): ExprNode => {
        switch (n.kind) {
          case 'const':
            if (!fixedParams || (isExponent && Number.isInteger(n.value))) return n;
            return constant(shortestFloat32(need(p, names[i++] as string, 'parameter').dataSync()[0] as number));
          case 'var':
            return n;
          case 'unary':
            return unary(n.op, sub(n.arg, false));
          case 'binary':
            return binary(n.op, sub(n.left, false), sub(n.right, n.op === '^'));
          case 'call':
            return call(
              n.name,
              n.args.map((a) => sub(a, false)),
            );
        }
      };
      return new Expression(sub(expr.root, false));
    },
  };
}

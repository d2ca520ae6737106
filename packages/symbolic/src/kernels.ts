// Float64 kernels of the column evaluator: one loop per operator and operand shape. exp, log, sin, cos
// and a^b run in the WebAssembly module of wasm-kernels.ts where available; else exp (also inside
// a^b), sin and cos use the inlinable fast-math versions (within 1 ulp of Math's, see fast-math.ts).

import { portablePow, portableTanh } from '@odekit/core';
import { fastCos, fastExp, fastSin } from './fast-math.js';
import { wasmExpScaled, wasmPowColCol, wasmPowColScalar, wasmUnary } from './wasm-kernels.js';

/**
 * `a^b`: `exp(b·log a)` for a > 0 (about 3× faster than `Math.pow` in V8, relative error about
 * 1e-16·|b·log a|), `Math.pow` otherwise (negative bases, zero, NaN).
 */
export function fastPow(a: number, b: number): number {
  return a > 0 && a < Number.POSITIVE_INFINITY ? Math.exp(b * Math.log(a)) : portablePow(a, b);
}

/** Float64 value of a unary operator on a scalar. */
export function unaryScalar(op: string, a: number): number {
  switch (op) {
    case 'neg':
      return -a;
    case 'exp':
      return Math.exp(a);
    case 'log':
      return Math.log(a);
    case 'sqrt':
      return Math.sqrt(a);
    case 'sin':
      return Math.sin(a);
    case 'cos':
      return Math.cos(a);
    case 'tanh':
      return portableTanh(a);
    case 'abs':
      return Math.abs(a);
    case 'square':
      return a * a;
    case 'cube':
      return a * a * a;
    case 'inv':
      return 1 / a;
    default:
      throw new Error(`evaluate: unknown unary operator '${op}'.`);
  }
}

/** Float64 value of a binary operator on scalars. */
export function binaryScalar(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return portablePow(a, b);
    default:
      throw new Error(`evaluate: unknown binary operator '${op}'.`);
  }
}

type UnaryLoop = (a: Float64Array, o: Float64Array, n: number) => void;

// The transcendental loops as functions of their own, called through this table: the call site sees
// several targets, so none is inlined into unaryKernel and TurboFan compiles each loop alone with
// its fast-math function inlined (inlined together into unaryKernel, fastExp, fastSin and fastCos
// overrun its inlining budget and the loops call out per element).
const TRANSCENDENTAL_LOOPS: Readonly<Record<string, UnaryLoop>> = {
  exp: function expLoop(a, o, n) {
    for (let i = 0; i < n; i++) o[i] = fastExp(a[i] as number);
  },
  log: function logLoop(a, o, n) {
    for (let i = 0; i < n; i++) o[i] = Math.log(a[i] as number);
  },
  sqrt: function sqrtLoop(a, o, n) {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(a[i] as number);
  },
  sin: function sinLoop(a, o, n) {
    for (let i = 0; i < n; i++) o[i] = fastSin(a[i] as number);
  },
  cos: function cosLoop(a, o, n) {
    for (let i = 0; i < n; i++) o[i] = fastCos(a[i] as number);
  },
};

export function unaryKernel(op: string, a: Float64Array, o: Float64Array, n: number): void {
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) o[i] = -(a[i] as number);
      return;
    case 'exp':
    case 'log':
    case 'sqrt':
    case 'sin':
    case 'cos':
      if (!wasmUnary(op, a, o, n)) (TRANSCENDENTAL_LOOPS[op] as UnaryLoop)(a, o, n);
      return;
    case 'square':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) * (a[i] as number);
      return;
    case 'cube':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) * (a[i] as number) * (a[i] as number);
      return;
    case 'inv':
      for (let i = 0; i < n; i++) o[i] = 1 / (a[i] as number);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) o[i] = portableTanh(a[i] as number);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) o[i] = Math.abs(a[i] as number);
      return;
    default:
      for (let i = 0; i < n; i++) o[i] = unaryScalar(op, a[i] as number);
  }
}

export function colColKernel(op: string, a: Float64Array, b: Float64Array, o: Float64Array, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) + (b[i] as number);
      return;
    case '-':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) - (b[i] as number);
      return;
    case '*':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) * (b[i] as number);
      return;
    case '/':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) / (b[i] as number);
      return;
    case '^':
      if (wasmPowColCol(a, b, o, n)) return;
      for (let i = 0; i < n; i++) {
        const v = a[i] as number;
        const e = b[i] as number;
        o[i] = v > 0 && v < Number.POSITIVE_INFINITY ? fastExp(e * Math.log(v)) : portablePow(v, e);
      }
      return;
    default:
      for (let i = 0; i < n; i++) o[i] = binaryScalar(op, a[i] as number, b[i] as number);
  }
}

export function colScalarKernel(op: string, a: Float64Array, b: number, o: Float64Array, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) + b;
      return;
    case '-':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) - b;
      return;
    case '*':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) * b;
      return;
    case '/':
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) / b;
      return;
    case '^':
      if (b === 2) for (let i = 0; i < n; i++) o[i] = (a[i] as number) * (a[i] as number);
      else if (b === 3) for (let i = 0; i < n; i++) o[i] = (a[i] as number) * (a[i] as number) * (a[i] as number);
      else if (b === 1) o.set(a);
      else if (b === -1) for (let i = 0; i < n; i++) o[i] = 1 / (a[i] as number);
      // sqrt for ±0.5, with Math.pow's values at -0 (v + 0 is +0) and at -∞
      else if (b === 0.5) {
        for (let i = 0; i < n; i++) {
          const v = a[i] as number;
          o[i] = v === Number.NEGATIVE_INFINITY ? v * -1 : Math.sqrt(v + 0);
        }
      } else if (b === -0.5) {
        for (let i = 0; i < n; i++) {
          const v = a[i] as number;
          o[i] = v === Number.NEGATIVE_INFINITY ? 0 : 1 / Math.sqrt(v + 0);
        }
      } else if (b === -2) {
        for (let i = 0; i < n; i++) o[i] = 1 / ((a[i] as number) * (a[i] as number));
      } else if (b === 4) {
        for (let i = 0; i < n; i++) {
          const v = (a[i] as number) * (a[i] as number);
          o[i] = v * v;
        }
      } else if (!wasmPowColScalar(a, b, o, n)) {
        for (let i = 0; i < n; i++) {
          const v = a[i] as number;
          o[i] = v > 0 && v < Number.POSITIVE_INFINITY ? fastExp(b * Math.log(v)) : portablePow(v, b);
        }
      }
      return;
    default:
      for (let i = 0; i < n; i++) o[i] = binaryScalar(op, a[i] as number, b);
  }
}

export function scalarColKernel(op: string, a: number, b: Float64Array, o: Float64Array, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) o[i] = a + (b[i] as number);
      return;
    case '-':
      for (let i = 0; i < n; i++) o[i] = a - (b[i] as number);
      return;
    case '*':
      for (let i = 0; i < n; i++) o[i] = a * (b[i] as number);
      return;
    case '/':
      for (let i = 0; i < n; i++) o[i] = a / (b[i] as number);
      return;
    case '^':
      if (a > 0 && a < Number.POSITIVE_INFINITY) {
        const la = Math.log(a);
        if (!wasmExpScaled(la, b, o, n)) for (let i = 0; i < n; i++) o[i] = fastExp((b[i] as number) * la);
      } else for (let i = 0; i < n; i++) o[i] = portablePow(a, b[i] as number);
      return;
    default:
      for (let i = 0; i < n; i++) o[i] = binaryScalar(op, a, b[i] as number);
  }
}

import * as tf from '@tensorflow/tfjs-core';

/** Tolerances for {@link allclose}: `|a − e| ≤ atol + rtol·|e|` elementwise (NumPy's rule). */
export interface AllcloseOptions {
  rtol?: number;
  atol?: number;
}

/** The outcome of {@link allclose}. */
export interface AllcloseResult {
  pass: boolean;
  message: string;
  /** The worst element: its tree path, flat index, values and excess over tolerance. */
  worst?: { path: string; index: number; actual: number; expected: number; excess: number };
}

type Flat = { path: string; shape: number[]; values: ArrayLike<number> };

function toFlat(x: unknown, path: string, out: Flat[]): void {
  if (x instanceof tf.Tensor) {
    out.push({ path, shape: x.shape, values: x.dataSync() as ArrayLike<number> });
  } else if (typeof x === 'number') {
    out.push({ path, shape: [], values: [x] });
  } else if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    const arr = x as unknown as ArrayLike<number>;
    out.push({ path, shape: [arr.length], values: Array.from(arr) });
  } else if (Array.isArray(x) && x.every((v) => typeof v === 'number' || Array.isArray(v)) && isNumeric(x)) {
    const values: number[] = [];
    const shape = nestedShape(x);
    flattenNumbers(x, values);
    out.push({ path, shape, values });
  } else if (Array.isArray(x)) {
    x.forEach((c, i) => {
      toFlat(c, path === '' ? String(i) : `${path}.${i}`, out);
    });
  } else if (isPlainObject(x)) {
    for (const k of Object.keys(x).sort()) toFlat(x[k], path === '' ? k : `${path}.${k}`, out);
  } else {
    throw new Error(
      `allclose: leaf '${path || '<root>'}' is ${typeof x}; compare numbers, arrays, typed arrays, tensors or trees of them.`,
    );
  }
}

/**
 * Whether `x` is a plain object (a pytree container). The test kit keeps its own copy so that
 * it does not depend on @odekit/core, which it tests.
 */
function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || x instanceof tf.Tensor) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function isNumeric(x: unknown): boolean {
  return typeof x === 'number' || (Array.isArray(x) && x.every(isNumeric));
}

function nestedShape(x: unknown): number[] {
  return Array.isArray(x) ? [x.length, ...(x.length > 0 ? nestedShape(x[0]) : [])] : [];
}

function flattenNumbers(x: unknown, out: number[]): void {
  if (Array.isArray(x)) for (const v of x) flattenNumbers(v, out);
  else out.push(x as number);
}

/**
 * Compares numbers, (nested) arrays, typed arrays, tensors or pytrees of them elementwise with
 * `|a − e| ≤ atol + rtol·|e|`. NaN equals NaN only at the same position. Defaults: rtol 1e-5,
 * atol 1e-8 (NumPy's). Leaves must have the same size (a one-element `expected` broadcasts);
 * when both are at least two-dimensional their shapes must be equal. An array of numbers (or
 * of arrays of numbers) is one leaf; an array holding tensors or objects is a subtree.
 *
 * @example
 * ```ts
 * import { allclose } from '@odekit/testing';
 * if (!allclose({ a: [1, 2] }, { a: [1, 2.000001] }).pass) throw new Error('should pass');
 * ```
 */
export function allclose(
  actual: unknown,
  expected: unknown,
  { rtol = 1e-5, atol = 1e-8 }: AllcloseOptions = {},
): AllcloseResult {
  const a: Flat[] = [];
  const e: Flat[] = [];
  toFlat(actual, '', a);
  toFlat(expected, '', e);
  const paths = (fs: Flat[]) => fs.map((f) => f.path || '<root>').join(', ');
  if (a.length !== e.length || a.some((f, i) => f.path !== e[i]?.path)) {
    return { pass: false, message: `structure differs: actual has leaves [${paths(a)}], expected [${paths(e)}]` };
  }
  let worst: AllcloseResult['worst'];
  for (let k = 0; k < a.length; k++) {
    const fa = a[k] as Flat;
    const fe = e[k] as Flat;
    const where = fa.path || '<root>';
    const broadcastScalar = fe.values.length === 1 && fa.values.length !== 1;
    // Sizes must agree; shapes too when both sides are multi-dimensional (a flat list or
    // typed array may stand for a tensor of any shape with the same size).
    const shapesDiffer = fa.shape.length >= 2 && fe.shape.length >= 2 && fa.shape.join(',') !== fe.shape.join(',');
    if (!broadcastScalar && (fa.values.length !== fe.values.length || shapesDiffer)) {
      return {
        pass: false,
        message: `shape differs at '${where}': actual [${fa.shape.join(', ')}], expected [${fe.shape.join(', ')}]`,
      };
    }
    for (let i = 0; i < fa.values.length; i++) {
      const x = fa.values[i] as number;
      const y = (broadcastScalar ? fe.values[0] : fe.values[i]) as number;
      let excess: number;
      if (Number.isNaN(x) || Number.isNaN(y))
        excess = Number.isNaN(x) && Number.isNaN(y) ? -1 : Number.POSITIVE_INFINITY;
      else if (x === y) excess = -1;
      else excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
      if (excess > 0 && (worst === undefined || excess > worst.excess)) {
        worst = { path: where, index: i, actual: x, expected: y, excess };
      }
    }
  }
  if (worst === undefined) return { pass: true, message: `all elements within rtol ${rtol}, atol ${atol}` };
  return {
    pass: false,
    worst,
    message: `worst element at '${worst.path}'[${worst.index}]: actual ${worst.actual}, expected ${worst.expected}, |diff| ${Math.abs(worst.actual - worst.expected)} exceeds atol ${atol} + rtol ${rtol}·|expected|`,
  };
}

import type * as tf from '@tensorflow/tfjs-core';
import { withHostImplementation } from '../host-implementation.js';
import type { Precision } from './program-builder.js';
import { openProgram, type StructureMemos } from './session.js';
import type { Field } from './tracing.js';

/** Options of {@link compileField}. */
export interface CompileFieldOptions {
  /** Throw (with the reason) when the field cannot be compiled, instead of falling back. */
  strict?: boolean;
  /** Called with the reason whenever a solve falls back to the tensor field. */
  onFallback?: (reason: string) => void;
  /**
   * The arithmetic of the compiled program (default `'float32'`, what tfjs's kernels compute).
   * With `'float64'` every op runs on float64 arrays (JavaScript loops, no SIMD) and the host
   * path gets float64 values and VJPs: what stiff solves at tight tolerances need (the float32
   * field's rounding, ≈ 6e-8 relative per evaluation, limits solves to rtol ≳ 1e-4 and makes
   * Newton iterations and difference Jacobians noisy below that). The state still enters and
   * leaves the solve as a float32 tensor, and constants and `args` are the float32 values tfjs
   * holds (a `tf.scalar(0.04)` is 0.04 rounded to float32); only the arithmetic between them is
   * float64. The tensor field, where the solve falls back to it, stays float32.
   */
  precision?: Precision;
}

const OPTION_KEYS = new Set(['strict', 'onFallback', 'precision']);

/**
 * Compiles a vector field written with tfjs ops for solves on the cpu and wasm backends: at the
 * start of each solve the field is traced (its kernels recorded while it runs on the state's
 * shape), and the recorded program then runs on plain float32 arrays, with no tensors, engine
 * bookkeeping or tape, for every evaluation and vector–Jacobian product of that solve. Work
 * that depends only on `args` and constants runs once per solve.
 *
 * The first time a structure (ops and shapes) opens, the trace is taken twice, at the solve's
 * `t0` and `t1`, and checked against tfjs's own values and gradients; later solves of the same
 * structure with the same constants and `t1` trace once (at `t0`) and check values. The solve uses
 * the tensor field as before (and `onFallback` and `sol.stats.fallbacks` are told why) when:
 * - the field uses a kernel the compiler does not know (the elementwise, matMul, concat, slice,
 *   stack, transpose, tile, gather and reduction kernels are covered), or a `customGrad` op;
 * - it reads tensor values (`dataSync`, `data`, `array`) anywhere, so any branch on the state's
 *   or the args' values falls back;
 * - its ops or constants differ between `t0` and `t1` other than through tensors holding `t`
 *   itself (`tf.scalar(t)`, `tf.mul(y, t)` and `tf.fill(shape, t)` are fine; a JavaScript `if` on
 *   `t` that switches once inside the interval, or an index computed from `t`, falls back);
 * - the compiled program disagrees with tfjs on the trace (values at every open; VJPs, for the
 *   state and every float32 args leaf, the first time a structure opens in this compiled field).
 *
 * The contract for what cannot be detected: the field must run the same tfjs ops, with the same
 * constants, for every `t` and `y` of a solve. A JavaScript branch on `t` that switches and
 * switches back inside `(t0, t1)`, or on state kept outside the field (a counter, a `Math.random`
 * draw), is not seen, and the compiled field follows the ops of `t0`. Write such branches with
 * tensor ops (`tf.where`), or solve with `compile: false` (`diffeqsolve`) / without
 * `compileField`. Values agree with the tensor field to float32 rounding (sums may be ordered
 * differently). With `precision: 'float64'` the program computes in float64 (see
 * {@link CompileFieldOptions.precision}): the stiff solvers' accurate path.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { compileField, hostImplementationOf } from '@odekit/core';
 * const f = compileField((_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y));
 * if (hostImplementationOf(f) === undefined) throw new Error('bad');
 * // the same field with float64 arithmetic on the host path (stiff solves at tight tolerances)
 * const f64 = compileField((_t: number, y: tf.Tensor) => tf.neg(y), { precision: 'float64' });
 * if (hostImplementationOf(f64) === undefined) throw new Error('bad');
 * ```
 */
export function compileField<F extends (t: number, y: never, args: never) => unknown>(
  f: F,
  options: CompileFieldOptions = {},
): F {
  if (typeof f !== 'function') {
    throw new Error('compileField: the field must be a function (t, y, args) => dy.');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new Error(`compileField: unknown option '${key}'; the options are strict, onFallback and precision.`);
    }
  }
  const precision = options.precision ?? 'float32';
  if (precision !== 'float32' && precision !== 'float64') {
    throw new Error(`compileField: precision must be 'float32' or 'float64', got ${String(precision)}.`);
  }
  const wrapped = ((t: number, y: never, args: never) => f(t, y, args)) as unknown as F;
  // what this compiled field learnt about each structure it opened (see openProgram)
  const memos: StructureMemos = new Map();
  return withHostImplementation(wrapped, {
    open(args, yShape, argTensors, yFromLeaf, report, span) {
      const result = openProgram(
        f as unknown as Field,
        args,
        yShape,
        argTensors,
        yFromLeaf ?? ((leaf: tf.Tensor) => leaf),
        memos,
        span,
        precision,
      );
      if (typeof result !== 'string') return result;
      if (options.strict === true) throw new Error(`compileField: cannot compile this field: ${result}`);
      options.onFallback?.(result);
      report?.(`compileField: ${result}`);
      return undefined;
    },
  });
}

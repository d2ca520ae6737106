import type * as tf from '@tensorflow/tfjs-core';
import { withHostImplementation } from '../host-implementation.js';
import { openProgram, type StructureMemos } from './session.js';
import type { Field } from './tracing.js';

/** Options of {@link compileField}. */
export interface CompileFieldOptions {
  /** Throw (with the reason) when the field cannot be compiled, instead of falling back. */
  strict?: boolean;
  /** Called with the reason whenever a solve falls back to the tensor field. */
  onFallback?: (reason: string) => void;
}

const OPTION_KEYS = new Set(['strict', 'onFallback']);

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
 * differently).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { compileField, hostImplementationOf } from '@odekit/core';
 * const f = compileField((_t: number, y: tf.Tensor, a: { k: tf.Tensor }) => tf.mul(tf.neg(a.k), y));
 * if (hostImplementationOf(f) === undefined) throw new Error('bad');
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
      throw new Error(`compileField: unknown option '${key}'; the options are strict and onFallback.`);
    }
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
      );
      if (typeof result !== 'string') return result;
      if (options.strict === true) throw new Error(`compileField: cannot compile this field: ${result}`);
      options.onFallback?.(result);
      report?.(`compileField: ${result}`);
      return undefined;
    },
  });
}
